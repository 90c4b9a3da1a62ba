"""What the two policy routers share: reading a document of a given ``kind``, turning a
worker's result into JSON or a page, answering in the requested format, and the solar-panel
view computed in a worker (for a registry sent as a document, :mod:`.policy`, and for the
slice the store read, :mod:`.policy_registry`)."""

from __future__ import annotations

import tempfile
from pathlib import Path as FsPath
from typing import Any

from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from junkan.core.documents import parse_document
from junkan.core.errors import ModelError, coded


def mapping(text: str, source: str) -> dict[str, Any]:
    """The document ``text`` parsed (YAML or JSON); anything but a mapping is an error."""
    doc = parse_document(text, source=source)
    if not isinstance(doc, dict):
        raise ModelError([coded("", "kind-mapping-needed", "expected a mapping with a 'kind'")],
                         source)
    return doc


def require_kind(doc: dict[str, Any], kind: str, source: str) -> None:
    """Refuse a document whose ``kind`` is not the route's."""
    if doc.get("kind") != kind:
        raise ModelError([coded("kind", "route-takes-kind", "this route takes kind: {kind}",
                                kind=kind)], source)


def render(res: Any, fmt: str, lang: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """(worker) What a job returns: the result's JSON document, or its page's HTML."""
    if fmt == "html":
        with tempfile.TemporaryDirectory() as tmp:
            path = res.report(FsPath(tmp) / "page.html", lang=lang)
            return {"html": path.read_text("utf-8")}
    return {**res.to_json(), **(extra or {})}


def answer(out: dict[str, Any], fmt: str) -> Any:
    """(service) A job's output as the response for ``format``: JSON, HTML, CSV or XHTML."""
    if fmt == "html":
        return HTMLResponse(out["html"])
    if fmt == "csv":
        return PlainTextResponse(out["csv"], media_type="text/csv; charset=utf-8")
    if fmt == "xhtml":
        return Response(out["xhtml"], media_type="application/xhtml+xml")
    return out


def solar_job(
    text: str, me: str, installation: str | None, year: int | None, fmt: str, lang: str
) -> dict[str, Any]:
    """(worker) A solar registry document as organisation ``me`` sees it: one installation,
    the network planner's supply for ``year``, or the whole view (JSON or page)."""
    from junkan import policy

    doc = mapping(text, "registry")
    require_kind(doc, "solar_registry", "registry")
    reg = policy.load(text=text)
    assert isinstance(reg, policy.Registry)
    if installation is not None:
        return {"installation": policy.installation_view(reg, me, installation)[0]}
    if year is not None:
        return policy.network_supply(reg, year)
    return render(policy.run(reg, org=me), fmt, lang)
