"""A foresight or network document given to a lifecycle command is named as such, with the
command that reads it: `junkan validate examples/japan_ce.yaml` gave ten problems ("actors:
required field is missing", "junkan_foresight: unknown field" …), review 315."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.errors import ModelError
from tests.conftest import EXAMPLES
from tests.core.test_rule_codes import _says_its_rule


@pytest.mark.parametrize(("name", "key", "command"), [
    ("japan_ce.yaml", "junkan_foresight", "junkan foresight run"),
    ("network_elv_japan.yaml", "junkan_network", "junkan network solve"),
])
def test_another_capabilitys_document_is_named(name: str, key: str, command: str) -> None:
    with pytest.raises(ModelError) as err:
        lifecycle.load(EXAMPLES / name)
    (p,) = err.value.problems
    assert (p.path, p.kind) == (key, "model-other-kind")
    assert f"read it with '{command} FILE'" in p.message
    _says_its_rule(p)
    out = CliRunner().invoke(app, ["validate", str(EXAMPLES / name)])
    assert out.exit_code == 2 and "not a lifecycle model" in " ".join(out.output.split())


def test_a_lifecycle_model_with_such_a_key_is_read_as_a_model() -> None:
    """A lifecycle model (``junkan: 1``) with a stray key is told of the key as before."""
    text = (EXAMPLES / "atm_reuse.yaml").read_text("utf-8") + "\njunkan_network: 1\n"
    with pytest.raises(ModelError, match="junkan_network"):
        lifecycle.load(text=text, source="m.yaml")
