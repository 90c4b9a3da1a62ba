"""A document's syntax and limits are domain rules (a code and the figures their message
quotes), so the page says them in Japanese: a YAML or JSON syntax error, a key given twice,
NaN, a number, string or key too large, nesting too deep, aliases that expand too far, a
file that is not UTF-8 or too large. The English catalogue's message filled in with a
problem's figures is the message itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.core.documents import parse_document, read_document
from junkan.core.errors import ModelError, Problem
from junkan.core.limits import limits, reset_limits
from tests.core.test_rule_codes import _says_its_rule

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))

TEXTS = [
    ("yaml-syntax-at", "name: x\n  bad: [\n", {"line": 2, "column": 6}),
    ("json-syntax", '{"name": "x",}', {"line": 1, "column": 14}),
    ("duplicate-key", "name: a\nyears: 1\nname: b\n", {"key": "'name'", "first": 1,
                                                        "second": 3}),
    ("number-not-finite", "name: .nan\n", {"value": "'.nan'"}),
    ("number-not-finite", '{"name": NaN}', {"value": "nan"}),
    ("number-too-large", "name: 1.0e+300\n", None),
    ("integer-too-large", f"name: {'9' * 40}\n", None),
    ("value-too-long", "name: " + "x" * (limits().string_length + 1) + "\n", None),
    ("key-too-long", '{"' + "k" * (limits().string_length + 1) + '": 1, "a": "' + "y" * 99
     + '"}', None),
    ("nesting-too-deep", "[" * 70 + "]" * 70, None),
    ("yaml-recursive-alias", "a: &a [*a]\n", None),
    ("yaml-expands-values", LAUGHS, None),
    ("document-not-mapping", "[1, 2]", None),
    ("document-empty", "", None),  # review 253: it was "not a list, a text or a number"
    ("document-empty", "# only a comment\n", None),
    ("document-not-mapping", "null\n", None),  # a value, if none (review 255)
]


def _problem(call: object) -> Problem:
    with pytest.raises(ModelError) as err:
        call()  # type: ignore[operator]
    (problem,) = err.value.problems
    return problem


@pytest.mark.parametrize(("code", "text", "params"), TEXTS, ids=[t[0] for t in TEXTS])
def test_a_document_refusal_says_its_rule(code: str, text: str,
                                          params: dict[str, object] | None) -> None:
    p = _problem(lambda: parse_document(text, source="doc"))
    assert p.kind == code, (p.kind, p.message)
    if params is not None:
        assert {k: p.limits[k] for k in params} == params if p.limits else False
    _says_its_rule(p)


def test_file_refusals_say_their_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    p = _problem(lambda: read_document(tmp_path / "latin.yaml"))
    assert (p.kind, p.limits) == ("not-utf8", {"byte": 9})
    _says_its_rule(p)
    p = _problem(lambda: read_document(tmp_path / "nope.yaml"))
    assert p.kind == "file-not-found"
    _says_its_rule(p)
    monkeypatch.setenv("JUNKAN_LIMIT_DOCUMENT_BYTES", "1000")
    reset_limits()
    (tmp_path / "big.yaml").write_text("name: " + "x" * 2000 + "\n", "utf-8")
    try:
        p = _problem(lambda: read_document(tmp_path / "big.yaml"))
    finally:
        monkeypatch.undo()
        reset_limits()
    assert p.kind == "document-too-large"
    assert p.limits is not None and p.limits["limit"] == "1,000"
    _says_its_rule(p)

