"""Species checklists of a field survey: the bundled example
(``junkan/data/nature/survey_checklist.yaml``) or your own site checklist, as CSV or JSON
(scientific name, local/Japanese name, group, source per species), checked line by line:
an empty or over-long name, a name listed twice, a missing group or source, an unknown
column and absurd sizes are refused with the file and line named. A checklist serves one
survey or some sourcing areas (:class:`Checklists`); the survey's Darwin Core export and its
species-richness indicators use it (junkan.nature.survey, junkan.nature.fieldwork)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from junkan.core import csv_text
from junkan.core.documents import parse_data
from junkan.core.errors import ModelError, short
from junkan.nature.geo import NatureInputError

MAX_BYTES = 2 * 1024 * 1024
"""Largest checklist file (2 MiB: ample for the largest site lists)."""
MAX_SPECIES = 10_000
"""Most species on one checklist (a site list is tens to a few thousand)."""
MAX_NAME = 200
"""Longest name (as ``Observation.species``)."""
COLUMNS = {
    "name": ("scientific_name", "scientificname", "name", "species"),
    "local": ("local_name", "localname", "vernacular_name", "vernacularname", "japanese_name",
              "ja", "local"),
    "en": ("english_name", "en", "english"),
    "group": ("group", "taxon_group"),
    "source": ("source", "reference"),
}
"""Accepted column (CSV) or key (JSON) names of each field, case and spaces aside."""
ALIAS = {a: k for k, names in COLUMNS.items() for a in names}
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""The control characters (Unicode category Cc), found in one scan of the text."""


@dataclass(frozen=True)
class Species:
    name: str
    """Scientific name, as observations give it."""
    group: str
    """e.g. bird, mammal, insect, plant."""
    local: str | None = None
    """Local (e.g. Japanese or Vietnamese) name."""
    en: str | None = None
    source: str | None = None
    """Where the record of this species comes from (field guide, survey report, expert)."""


@dataclass(frozen=True)
class Checklist:
    path: str
    source: str
    species: tuple[Species, ...]
    _by: dict[str, Species] = field(init=False, repr=False, compare=False)
    _names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by", {s.name: s for s in self.species})
        object.__setattr__(self, "_names", frozenset(self._by))

    def get(self, name: str) -> Species | None:
        return self._by.get(name)

    @property
    def names(self) -> frozenset[str]:
        """The scientific names (built once: a survey checks every observation's)."""
        return self._names

    def to_json(self) -> dict[str, Any]:
        """As the survey page reads it: ``source`` and ``species`` (name, group and the
        names and source given)."""
        return {
            "source": self.source,
            "species": [
                {"name": s.name, "group": s.group}
                | {k: v for k, v in (("local", s.local), ("en", s.en), ("source", s.source)) if v}
                for s in self.species
            ],
        }


@dataclass
class Checklists:
    """The checklist of each sourcing area: its own, else the survey's default."""

    default: Checklist | None = None
    by_area: dict[str, Checklist] = field(default_factory=dict)

    def for_area(self, area: str | None) -> Checklist | None:
        return self.by_area.get(area or "", self.default)


def _key(name: str) -> str:
    """A name as compared for duplicates: spaces, case and Unicode form (NFC) aside."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


def _text(v: Any, where: str, what: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise NatureInputError(f"{where}: {what} must be text, not {short(v)}")
    s = " ".join(v.split())
    if CONTROL.search(s):
        raise NatureInputError(f"{where}: {what} has control characters")
    if len(s) > MAX_NAME:
        raise NatureInputError(f"{where}: {what} is {len(s)} characters; at most {MAX_NAME}")
    return s or None


def _species(row: dict[str, Any], where: str, default_source: str | None) -> Species:
    name = _text(row.get("name"), where, "scientific_name")
    if name is None:
        raise NatureInputError(f"{where}: scientific_name is empty; give the species' "
                               "scientific name (or remove the line)")
    group = _text(row.get("group"), where, "group")
    if group is None:
        raise NatureInputError(f"{where}: group of {name!r} is empty (e.g. bird, plant)")
    source = _text(row.get("source"), where, "source")
    if source is None and not default_source:
        raise NatureInputError(
            f"{where}: source of {name!r} is empty; give each species' source (field guide, "
            "survey report, expert) or the checklist's 'source'"
        )
    return Species(name, group, _text(row.get("local"), where, "local_name"),
                   _text(row.get("en"), where, "english_name"), source)


def _fields(names: list[str], where: str) -> dict[str, str]:
    """Original column/key name → field, refusing unknown and repeated ones."""
    out: dict[str, str] = {}
    for n in names:
        f = ALIAS.get(str(n).strip().lower().replace(" ", "_"))
        if f is None:
            allowed = ", ".join(c[0] for c in COLUMNS.values())
            raise NatureInputError(f"{where}: unknown column {short(n)}; use {allowed}")
        if f in out.values():
            raise NatureInputError(f"{where}: two columns for {COLUMNS[f][0]} ({short(n)})")
        out[n] = f
    return out


def csv_rows(reader: Any, path: str) -> Iterator[Any]:
    """The rows of a CSV reader, a malformed line (e.g. a field over the csv module's
    limit) refused with the file and line named."""
    return csv_text.checked(reader, lambda line, exc: NatureInputError(
        f"{path}: line {line}: not valid CSV ({exc})"))


def _rows_csv(text: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))  # CR alone ends a line too
    header = next(csv_rows(reader, path), None)
    if not header:
        raise NatureInputError(f"{path}: empty; the first line names the columns "
                               "(scientific_name, local_name, group, source)")
    cols = _fields(header, f"{path}: line 1")
    if "name" not in cols.values():
        raise NatureInputError(f"{path}: line 1: no scientific_name column")
    out: list[tuple[str, dict[str, Any]]] = []
    for row in csv_rows(reader, path):
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise NatureInputError(f"{path}: line {line}: {len(row)} fields, the header has "
                                   f"{len(header)} (quote names that hold a comma)")
        fields = {cols[h]: v for h, v in zip(header, row, strict=False)}
        out.append((f"{path}: line {line}", fields))
        if len(out) > MAX_SPECIES:
            raise NatureInputError(f"{path}: line {line}: more than {MAX_SPECIES:,} species; "
                                   "a site checklist is shorter (split it per area)")
    return out


def _rows_json(doc: Any, path: str) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    source = None
    if isinstance(doc, dict):
        extra = sorted(set(doc) - {"source", "species"})
        if extra:
            raise NatureInputError(f"{path}: unknown key(s) {short(extra)}; use 'source' and "
                                   "'species'")
        source = _text(doc.get("source"), path, "source")
        doc = doc.get("species")
    if not isinstance(doc, list):
        raise NatureInputError(f"{path}: give a list of species, or {{source, species: [...]}}")
    if len(doc) > MAX_SPECIES:
        raise NatureInputError(f"{path}: species[{MAX_SPECIES}]: more than {MAX_SPECIES:,} "
                               "species; a site checklist is shorter (split it per area)")
    out = []
    for i, item in enumerate(doc):
        where = f"{path}: species[{i}]"
        if not isinstance(item, dict):
            raise NatureInputError(f"{where}: give an object (scientific_name, group, …)")
        cols = _fields(list(item), where)
        out.append((where, {cols[k]: v for k, v in item.items()}))
    return out, source


def parse_checklist(data: bytes | str, *, fmt: str, path: str, source: str | None = None
                    ) -> Checklist:
    """A checklist from CSV or JSON (``fmt``: csv, json or yaml) text; ``path`` names it
    in errors; ``source``: the checklist's source, for rows that give none."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > MAX_BYTES:
        raise NatureInputError(f"{path}: {size / 2**20:.1f} MiB; a checklist is at most "
                               f"{MAX_BYTES // 2**20} MiB")
    try:
        text = data if isinstance(data, str) else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NatureInputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark, text given as str too
    if fmt == "csv":
        rows, own = _rows_csv(text, path), None
    elif fmt in ("json", "yaml"):
        try:  # a key given twice, NaN, expanding anchors are refused as in every document
            doc = parse_data(text, source=path, as_json=fmt == "json")
        except ModelError as exc:
            problem = exc.problems[0]
            if problem.kind.startswith("nesting-too-deep"):
                raise NatureInputError(f"{path}: not a checklist: nested too deeply (a list "
                                       "of species is two levels deep)") from None
            raise NatureInputError(f"{path}: not valid {fmt.upper()} ("
                                   f"{problem.render()})") from None
        rows, own = _rows_json(doc, path)
    else:
        raise NatureInputError(f"{path}: a checklist is .csv, .json or .yaml, not {fmt!r}")
    src = source or own
    seen: dict[str, str] = {}
    species = []
    for where, row in rows:
        s = _species(row, where, src)
        first = seen.setdefault(_key(s.name), where)
        if first != where:
            raise NatureInputError(f"{where}: {s.name!r} is listed twice (first at "
                                   f"{first.rsplit(': ', 1)[-1]})")
        species.append(s)
    if not species:
        raise NatureInputError(f"{path}: no species")
    return Checklist(path, src or "per species (see each one's source)", tuple(species))


STORED_KEYS = frozenset({"name", "group", "local", "en", "source"})
"""The keys of a species in :meth:`Checklist.to_json`."""


def stored_checklist(doc: Any, path: str, names: Collection[str] | None = None) -> Checklist:
    """A checklist back from its own :meth:`Checklist.to_json` document, as a service
    stores it once :func:`parse_checklist` has checked the upload. The document's shape and
    types are checked; its names are not checked again, character by character (they were,
    before it was stored), so 10,000 species read back in milliseconds. With ``names``,
    only those of its species are kept: the checklist as observations of those species see
    it (enough to check them and to export them), read in a pass over the document. A
    document that is not such a one is refused naming ``path``."""
    species = doc.get("species") if isinstance(doc, dict) else None
    if (not isinstance(species, list) or not species or len(species) > MAX_SPECIES
            or not isinstance(doc.get("source"), str)):
        raise NatureInputError(f"{path}: not a stored checklist ({{source, species: [...]}}, "
                               f"1 to {MAX_SPECIES:,} species)")
    out = []
    for i, item in enumerate(species):
        if not isinstance(item, dict):
            raise NatureInputError(f"{path}: species[{i}]: not a stored species")
        if names is not None and item.get("name") not in names:
            continue
        name, group = item.get("name"), item.get("group")
        rest = (item.get("local"), item.get("en"), item.get("source"))
        if (not item.keys() <= STORED_KEYS or not isinstance(name, str) or not name
                or not isinstance(group, str) or not group
                or not all(v is None or isinstance(v, str) for v in rest)):
            raise NatureInputError(f"{path}: species[{i}]: not a stored species")
        out.append(Species(name, group, *rest))
    return Checklist(path, doc["source"], tuple(out))


def read_checklist(path: str | Path, *, source: str | None = None) -> Checklist:
    """A checklist file (.csv, .json, .yaml)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise NatureInputError(f"{p}: {size / 2**20:.1f} MiB; a checklist is at most "
                                   f"{MAX_BYTES // 2**20} MiB")
        data = p.read_bytes()
    except OSError as exc:
        raise NatureInputError(f"{p}: cannot read ({exc.strerror})") from None
    fmt = {".yml": "yaml"}.get(p.suffix.lower(), p.suffix.lower().lstrip("."))
    return parse_checklist(data, fmt=fmt, path=str(p), source=source)


BUNDLED = "junkan/data/nature/survey_checklist.yaml"
"""The bundled example checklist's ``path`` (inside the package: never the user's to edit)."""


def bundled() -> Checklist:
    """The example checklist the survey page offers when no site checklist is given."""
    text = resources.files("junkan.data").joinpath("nature/survey_checklist.yaml").read_text()
    return parse_checklist(text, fmt="yaml", path=BUNDLED)
