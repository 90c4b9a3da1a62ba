"""The field survey's species checklists: your organisation's own site checklist (CSV or
JSON, checked line by line by :func:`junkan.nature.parse_checklist`) for the whole survey
or for one sourcing area, else the bundled example.

``PUT /api/nature/survey/checklist[?area=NAME]`` stores one (administrators only: it
decides which species every surveyor of the organisation may sync), ``GET`` returns the
checklist that serves the area (its own, else the survey's, else the bundled example),
``DELETE`` removes a stored one (the area falls back as for ``GET``), and ``GET
/api/nature/survey/checklists`` lists what is stored. Another organisation's checklists are
never read. The survey's sync refuses species not on the observation's area's checklist and
the Darwin Core exports take local names and sources from them (:func:`checklists`)."""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from junkan.api.auth import AdminUser, CurrentUser
from junkan.api.common import NOT_FOUND, iso, upload_file
from junkan.api.request_json import strict_router
from junkan.store.nature_checklists import SURVEY, ChecklistRepo

if TYPE_CHECKING:  # junkan.nature needs the 'nature' extra
    from junkan.nature import Checklist, Checklists

router = strict_router()

BASE = "/api/nature/survey/checklist"
MAX_BYTES = 2 * 1024 * 1024
"""Largest checklist upload: the library's limit (junkan.nature.checklist.MAX_BYTES)."""
MAX_INLINE = 20_000
"""Most species of area checklists written inline in the survey's checklist (``areas``)."""
FORMATS = {"csv": "csv", "json": "json", "yaml": "yaml", "yml": "yaml"}
Area = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="A sourcing area (an observation's area)"),
]
Format = Annotated[Literal["csv", "json", "yaml"] | None, Query()]
Source = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="The source of rows that give none"),
]

BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def _repo(request: Request) -> ChecklistRepo:
    return ChecklistRepo(request.app.state.store.db)


def _loaded(name: str, doc: dict[str, Any], names: Collection[str] | None = None) -> Checklist:
    """A stored checklist (checked by the library's parser before it was stored), read
    back by the library (``names``: those species only)."""
    from junkan.nature import stored_checklist

    return stored_checklist(doc, name, names)


CACHE_SPECIES = 200_000
"""Most species of parsed checklists kept in memory between requests (all organisations
together; about 45 MB per 100,000 species). Past it the least recently used go."""

READ_BATCH = 8
"""Stored checklists read from the database at once (each up to 10,000 species: about 5 MB
as Python objects) when a request needs many."""


class ParsedCache:
    """Parsed checklists by (organisation, area), each with the stored version it was read
    from (:meth:`ChecklistRepo.versions`): a request reads and parses again only what was
    replaced since, or was never read, or fell out past ``limit`` species."""

    def __init__(self, limit: int = CACHE_SPECIES) -> None:
        self.limit = limit
        self.species = 0
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], tuple[str, str, Checklist]] = OrderedDict()

    def get(self, org_id: str, area: str, version: str) -> tuple[str, Checklist] | None:
        with self._lock:
            hit = self._items.get((org_id, area))
            if hit is None or hit[0] != version:
                return None
            self._items.move_to_end((org_id, area))
            return hit[1], hit[2]

    def put(self, org_id: str, area: str, version: str, name: str, cl: Checklist) -> None:
        size = len(cl.species)
        if size > self.limit:
            return
        with self._lock:
            old = self._items.pop((org_id, area), None)
            if old is not None:
                self.species -= len(old[2].species)
            self._items[(org_id, area)] = (version, name, cl)
            self.species += size
            while self.species > self.limit:
                _, (_, _, gone) = self._items.popitem(last=False)
                self.species -= len(gone.species)


def _cache(request: Request) -> ParsedCache:
    state = request.app.state
    found = getattr(state, "nature_checklists", None)
    if found is None:  # one per application; a race makes two, one of them kept
        found = state.nature_checklists = ParsedCache()
    return cast(ParsedCache, found)


def stored(
    request: Request,
    org_id: str,
    areas: list[str] | None,
    names: Collection[str] | None = None,
) -> dict[str, tuple[str, Checklist]]:
    """The organisation's stored checklists of ``areas`` (``SURVEY``: the survey's; None:
    all) as area → (file name, checklist). A version parsed before comes from the
    :class:`ParsedCache`; the others are read and kept there, unless the request names its
    ``names`` (species) and they would not fit: then each holds those species only."""
    repo, cache = _repo(request), _cache(request)
    out: dict[str, tuple[str, Checklist]] = {}
    missing, size = [], 0
    for area, (version, species) in repo.versions(org_id, areas).items():
        hit = cache.get(org_id, area, version)
        if hit is None:
            missing.append(area)
            size += species
        else:
            out[area] = hit
    whole = names is None or size <= cache.limit // 2
    for i in range(0, len(missing), READ_BATCH):  # a few documents in memory at a time
        got = repo.get_versioned(org_id, missing[i : i + READ_BATCH])
        for area, (version, name, doc) in got.items():
            cl = _loaded(name, doc, None if whole else names)
            if whole:
                cache.put(org_id, area, version, name, cl)
            out[area] = (name, cl)
    return out


def checklists(
    request: Request,
    org_id: str,
    areas: Iterable[str | None] | None = None,
    names: Collection[str] | None = None,
) -> Checklists:
    """The organisation's checklists (for ``areas`` only, if given: fewer to read; with
    ``names``, a checklist may hold only those species); the areas without their own take
    the survey's checklist, else the bundled example, the same rule as ``junkan nature
    assess`` (junkan.nature.fieldwork.checklists), so what the service accepts the
    assessment accepts too."""
    from junkan.nature import Checklists, bundled_checklist

    keys = None if areas is None else [SURVEY, *{a for a in areas if a}]
    lists = {area: cl for area, (_, cl) in stored(request, org_id, keys, names).items()}
    default = lists.pop(SURVEY, None) or bundled_checklist()
    return Checklists(default=default, by_area=lists)


def check_observations(request: Request, org_id: str, obs: list[Any]) -> None:
    """Refuse (422, naming the observation) any species that is not on its area's
    checklist of the organisation."""
    from junkan.nature import NatureInputError, check_species

    lists = checklists(request, org_id, {o.area for o in obs}, {o.species for o in obs})
    for i, o in enumerate(obs):
        try:
            check_species([o], lists)
        except NatureInputError as exc:
            raise HTTPException(422, f"observations[{i}].observation.species: {exc}") from None


def _shown(cl: Checklist, area: str | None, scope: str, name: str | None) -> dict[str, Any]:
    return {"area": area, "scope": scope, "name": name} | cl.to_json()


def _areas(request: Request, org_id: str) -> dict[str, Any]:
    """The organisation's area checklists, inline while their species add up to at most
    ``MAX_INLINE`` (beyond: ``species`` null; ask ``?area=`` for them)."""
    repo = _repo(request)
    out: dict[str, Any] = {}
    total, inline = 0, []
    for d in repo.listed(org_id):
        if d["area"] is None:
            continue
        total += d["species"]
        if total <= MAX_INLINE:
            inline.append(d["area"])
        out[d["area"]] = {"name": d["name"], "source": None, "species": None}
    for area, (name, cl) in stored(request, org_id, inline).items():
        out[area] = {"name": name} | cl.to_json()
    return out


def _serving(request: Request, org_id: str, area: str | None) -> dict[str, Any]:
    from junkan.nature import bundled_checklist

    found = stored(request, org_id, [a for a in (area, SURVEY) if a is not None])
    extra = {} if area is not None else {"areas": _areas(request, org_id)}
    for key, scope in ((area, "area"), (SURVEY, "survey")):
        if key is not None and key in found:
            name, cl = found[key]
            return _shown(cl, area, scope, name) | extra
    return _shown(bundled_checklist(), area, "bundled", None) | extra


@router.get(BASE, tags=["nature"])
def survey_checklist(user: CurrentUser, request: Request, area: Area = None) -> dict[str, Any]:
    """The species checklist that serves your survey (``area``: that sourcing area): the
    area's own, else your organisation's survey checklist, else the bundled example.
    ``scope`` says which (``area``, ``survey`` or ``bundled``); ``species`` gives each
    one's scientific name, group and, where the checklist has them, local and English
    names and source. Without ``area``, ``areas`` holds your organisation's area
    checklists too (name, source, species; ``species`` null past 20,000 species in all:
    ask for that area), so a device that cached this one answer checks every area
    offline."""
    return _serving(request, user.org_id, area)


@router.get(BASE + "s", tags=["nature"])
def survey_checklists(user: CurrentUser, request: Request) -> dict[str, Any]:
    """Your organisation's stored checklists: area (null: the survey's), file name,
    number of species, when it was uploaded."""
    listed = _repo(request).listed(user.org_id)
    return {"checklists": [d | {"updated_at": iso(d["updated_at"])} for d in listed]}


def _name(name: str, fmt: str) -> str:
    """The uploaded file's own name, as errors name it (no folders, no control
    characters), or ``checklist.<fmt>``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()[:200]
    return base or f"checklist.{fmt}"


def _format(fmt: str | None, name: str, ctype: str, data: bytes) -> str:
    if fmt:
        return fmt
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in FORMATS:
        return FORMATS[ext]
    for word, f in (("csv", "csv"), ("json", "json"), ("yaml", "yaml")):
        if word in ctype:
            return f
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") else "csv"


def _too_large(size: int) -> HTTPException:
    return HTTPException(
        413, f"the checklist is {size / 2**20:.1f} MiB; at most {MAX_BYTES // 2**20} MiB"
    )


async def _upload(request: Request) -> tuple[bytes, str, str]:
    """The uploaded bytes (a raw body or a multipart ``file`` field), file name and
    content type."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + 64 * 1024:  # multipart framing aside
        raise _too_large(int(length))
    ctype = request.headers.get("content-type", "").lower()
    upload = await upload_file(request)
    if upload is not None:
        data, name, ctype = upload
    else:
        data, name = await request.body(), ""
    if len(data) > MAX_BYTES:
        raise _too_large(len(data))
    if not data.strip():
        raise HTTPException(422, "empty body: send the checklist as CSV or JSON")
    return data, name, ctype


def _parsed(data: bytes, fmt: str, name: str, source: str | None) -> Checklist:
    from junkan.nature import NatureInputError, parse_checklist

    try:
        return parse_checklist(data, fmt=fmt, path=name, source=source)
    except NatureInputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.put(BASE, tags=["nature"], openapi_extra=BODY)
async def survey_checklist_put(
    user: AdminUser,
    request: Request,
    area: Area = None,
    format: Format = None,
    source: Source = None,
) -> dict[str, Any]:
    """Store your organisation's checklist for the survey, or for sourcing area ``area``
    (it replaces the one stored there). The body is the file (raw, or a multipart
    ``file`` field) as CSV (a header line: scientific_name, local_name, english_name,
    group, source) or JSON (``{source, species: [...]}`` or a list); ``format`` when
    neither the file name nor the content type says which. At most 2 MiB and 10,000
    species; a bad file is refused (422) naming the line or entry and what to fix;
    ``source`` is the source of rows that give none. Administrators only (403)."""
    data, raw_name, ctype = await _upload(request)
    fmt = _format(format, raw_name, ctype, data)
    name = _name(raw_name, fmt)
    cl = await run_in_threadpool(_parsed, data, fmt, name, source)
    key = area if area is not None else SURVEY
    got = await run_in_threadpool(_repo(request).put, user.org_id, user.id, key, name, cl.to_json())
    scope = "survey" if area is None else "area"
    return _shown(cl, area, scope, name) | {"updated_at": iso(got["updated_at"])}


@router.delete(BASE, tags=["nature"], status_code=204)
def survey_checklist_delete(user: AdminUser, request: Request, area: Area = None) -> Response:
    """Remove your organisation's checklist of the survey (or of ``area``): the survey
    returns to the bundled example (the area to the survey's checklist). 404 if none is
    stored there. Administrators only (403)."""
    if not _repo(request).remove(user.org_id, area if area is not None else SURVEY):
        raise NOT_FOUND
    return Response(status_code=204)
