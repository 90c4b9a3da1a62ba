"""The Shredder monitor page's live line (issue 19 item 6), in a real browser against a real
server: the shipped scenario with a jam replayed at 50× real time, followed over Server-Sent
Events; an alarm with its evidence is acknowledged and marked a false alarm through the
service's routes, the live chart has points, the state confidences are shown, the panel passes
axe-core, and Stop ends the line (the service no longer lists it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sensing.modeldir import use_shared_models
from tests.web.conftest import plotted, require_browser, sign_in

sync_api = require_browser()
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
expect = sync_api.expect
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The server reads the session's trained monitor (trained once per test session)."""
    yield from use_shared_models(tmp_path_factory)


def test_live_line_alarm_acknowledge_false_alarm_stop(server: str, page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.goto(f"{server}/#/sensing")
    page.select_option("#sl-example", "sensing_jam_and_gas")
    page.select_option("#sl-speed", "50")
    page.click("#sl-start")
    line = page.locator("#sl-line-L1")
    # the first start reads the service's monitor from the session's model cache (trained
    # there once per test session), then the jam at 100 s comes 2 s into the replay
    row = line.locator(".sl-alarms tbody tr").first
    row.wait_for(timeout=60_000)
    expect(row).to_contain_text("≥")  # the evidence: signal, value and threshold
    expect(line.get_by_role("status")).to_contain_text("running")

    row.get_by_role("button", name="Acknowledge alarm").click()
    expect(row).to_contain_text("Acknowledged.")
    expect(row.get_by_role("button", name="Acknowledge alarm")).to_be_disabled()
    row.get_by_role("button", name="false alarm").click()
    expect(row).to_contain_text("Labelled a false alarm; the models adapted (version")
    expect(row).to_contain_text("acknowledged, false alarm")

    # the chart was extended with steps; the confidences are the attractor model's states
    n = plotted(page, "sl-chart-L1", "d[0].x.length")
    assert 0 < n <= 600
    expect(line.locator(".sl-conf")).to_contain_text("jam")
    expect(line.locator(".sl-conf")).to_contain_text("%")
    res = axe_sync.Axe().run(page, context="#sl-panel", options={"resultTypes": ["violations"]})
    bad = [v["id"] for v in res.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, bad

    line.get_by_role("button", name="Stop line L1").click()
    expect(line.get_by_role("status")).to_contain_text("stopped")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    listed = httpx.get(f"{server}/api/sensing/live", cookies=cookies).json()["lines"]
    assert listed == []
    assert not errors, errors
