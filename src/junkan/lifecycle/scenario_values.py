"""The editable parameters' values in each scenario of a model document: the baseline's,
then each scenario's ``set`` along its ``extends`` chain, ancestors first — what a run of
the scenario uses, for a form that shows them."""

from __future__ import annotations

from typing import Any

from junkan.lifecycle.loader import path_tokens


def scenario_parameters(doc: dict[str, Any], parameters: list[dict[str, Any]],
                        scenarios: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The editable parameters' values in each scenario (the baseline's, then each scenario's
    ``set`` along its ``extends`` chain, ancestors first), so the web form shows the values a
    run of the selected scenario uses."""
    defined = doc.get("scenarios") or {}
    out: dict[str, list[dict[str, Any]]] = {}
    for name in scenarios:
        chain: list[dict[str, Any]] = []
        cur: Any = name
        while isinstance(defined, dict) and cur in defined and len(chain) < 50:
            spec = defined[cur] or {}
            chain.append(spec.get("set") or {})
            cur = spec.get("extends")
        values = []
        for p in parameters:
            value, want = p["value"], path_tokens(p["path"])
            for sets in reversed(chain):
                for key, v in sets.items() if isinstance(sets, dict) else ():
                    have = path_tokens(str(key))
                    if want[:len(have)] != have:
                        continue
                    for tok in want[len(have):]:
                        ok = (isinstance(v, dict) and tok in v) or (
                            isinstance(v, list) and isinstance(tok, int) and tok < len(v))
                        v = v[tok] if ok else None
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        value = float(v)
            values.append({"path": p["path"], "value": value})
        out[name] = values
    return out


