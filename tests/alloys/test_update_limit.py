"""``alloy update`` folds at most ``alloy_update_lots`` lots in one request (the file, the
service's ``POST /api/alloys/update`` body): each lot costs a prediction of the feed, 3.3–7 ms,
so 100,000 lots held a worker for minutes. The lots are counted before any is validated, and
the refusal names the file, ``lots``, the limit and its setting."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from junkan import alloys
from junkan.alloys import UpdateRequest
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.core.limits import limits, override_limits

FEED = {"vehicles": [{"vehicle": "makerA_kei_2008_icev", "count": 20}],
        "remove": ["battery_cells"], "grain_mm": 65}
CATALOGUES = Path(__file__).parents[2] / "src" / "junkan" / "web" / "static" / "i18n"


def _lots(n: int) -> list[dict[str, object]]:
    return [{"lot": f"L{i:06d}", "composition": {"Si": 8.1, "Fe": 1.2}} for i in range(n)]


def test_too_many_lots_are_refused_before_any_is_read(tmp_path: Path) -> None:
    most = limits().alloy_update_lots
    doc = {"feed": FEED, "lots": [{"lot": 5}] * (most + 1)}  # each lot bad: none is read
    f = tmp_path / "lots.json"
    f.write_text(json.dumps(doc))
    t = time.perf_counter()
    with pytest.raises(ModelError) as err:
        alloys.load(f, kind="update")
    assert time.perf_counter() - t < 1.0
    (p,) = err.value.problems  # the count alone, not a problem per lot
    assert p.path == "lots" and p.kind == "update-too-many-lots"
    assert p.limits == {"count": f"{most + 1:,}", "limit": f"{most:,}",
                        "setting": "JUNKAN_LIMIT_ALLOY_UPDATE_LOTS"}
    said = str(err.value)
    assert said.startswith(f"{f}:lots: {most + 1:,} lots in one update, more than the limit "
                           f"{most:,} (JUNKAN_LIMIT_ALLOY_UPDATE_LOTS)"), said
    en = json.loads((CATALOGUES / "en.json").read_text("utf-8"))["val.update-too-many-lots"]
    assert re.sub(r"\{(\w+)\}", lambda m: str(p.limits[m.group(1)]), en) == p.message  # type: ignore[index]


def test_the_limit_holds_for_the_cli_and_the_service_body(tmp_path: Path) -> None:
    with override_limits(alloy_update_lots=3):
        f = tmp_path / "in.yaml"
        f.write_text(yaml.safe_dump({"feed": FEED, "lots": _lots(4)}))
        res = CliRunner().invoke(app, ["alloy", "update", str(f)])
        assert res.exit_code == 2, res.output
        assert "4 lots in one update, more than the limit 3" in " ".join(res.output.split())
        with pytest.raises(ValidationError, match="update-too-many-lots|more than the limit 3"):
            UpdateRequest.model_validate({"feed": FEED, "lots": _lots(4)})  # the API's body
        assert len(UpdateRequest.model_validate({"feed": FEED, "lots": _lots(3)}).lots) == 3
