"""Inline XBRL 1.1 for the ESRS E5 part of a disclosure pack: writing it, checking its
structure by parsing it back (no taxonomy needed), and resolving the concepts against the
EFRAG ESRS taxonomy package when the user supplies it (its licence terms are unverified, so
junkan does not ship it)."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from junkan.core.errors import ModelError, Problem
from junkan.core.zips import unbounded
from junkan.policy.disclosure import xbrl_map

if TYPE_CHECKING:
    from junkan.policy.disclosure import DisclosurePack

NS = {
    "xhtml": "http://www.w3.org/1999/xhtml",
    "ix": "http://www.xbrl.org/2013/inlineXBRL",
    "ixt": "http://www.xbrl.org/inlineXBRL/transformation/2020-02-12",
    "xbrli": "http://www.xbrl.org/2003/instance",
    "link": "http://www.xbrl.org/2003/linkbase",
    "xlink": "http://www.w3.org/1999/xlink",
    "utr": "http://www.xbrl.org/2009/utr",
    "xbrldi": "http://xbrl.org/2006/xbrldi",
}
XS = "http://www.w3.org/2001/XMLSchema"
DECIMALS = {"mass": 1, "percent": 4}
"""Decimals of the fact values: tonnes to 0.1 t; ratios to 0.0001 (shown as % to 0.01)."""
CONTEXT, UNITS = "c_period", {"mass": "u_t", "percent": "u_pure"}
MAX_CHARS = 5_000_000


def _num(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def context_id(f: dict[str, Any]) -> str:
    """The id of the context of fact ``f``: the period, or the period with the fact's
    breakdown members (``c_hazardous_recycling``, ``c_landfill``)."""
    picks = (f.get("breakdown") or {}).values()
    return "_".join(["c", *picks]) if picks else CONTEXT


def _fact(f: dict[str, Any], prefix: str, concept: str) -> str:
    if f["type"] == "percent":
        shown, scale, dec = 100 * f["value"], -2, DECIMALS["percent"]
        text = _num(shown, dec - 2)
    else:
        shown, scale, dec = f["value"], 0, DECIMALS["mass"]
        text = _num(shown, dec)
    if f["value"] < 0:
        raise ValueError(f"{f['key']}: a negative figure cannot be tagged as shown")
    return (
        f'<ix:nonFraction name="{prefix}:{concept}" contextRef="{context_id(f)}" '
        f'unitRef="{UNITS[f["type"]]}" decimals="{dec}" scale="{scale}" '
        f'format="ixt:num-dot-decimal">{text}</ix:nonFraction>'
    )


def _contexts(pack: DisclosurePack, prefix: str) -> str:
    """One context per distinct breakdown of the facts (the first undimensioned): the entity,
    the period and, for a breakdown, its explicit members in the scenario (the taxonomy's
    hypercubes are closed with ``contextElement="scenario"``)."""
    scheme, ident = pack.company.identifier
    seen: dict[str, dict[str, str]] = {CONTEXT: {}}
    for f in pack.facts:
        seen.setdefault(context_id(f), f.get("dims") or {})
    out = []
    for cid, dims in seen.items():
        members = "".join(
            f'<xbrldi:explicitMember dimension="{prefix}:{axis}">{prefix}:{member}'
            "</xbrldi:explicitMember>"
            for axis, member in dims.items()
        )
        out.append(
            f'<xbrli:context id="{cid}"><xbrli:entity>'
            f"<xbrli:identifier scheme={quoteattr(scheme)}>{escape(ident)}</xbrli:identifier>"
            "</xbrli:entity><xbrli:period>"
            f"<xbrli:startDate>{pack.period.start.isoformat()}</xbrli:startDate>"
            f"<xbrli:endDate>{pack.period.end.isoformat()}</xbrli:endDate></xbrli:period>"
            + (f"<xbrli:scenario>{members}</xbrli:scenario>" if members else "")
            + "</xbrli:context>"
        )
    return "".join(out)


def _header(pack: DisclosurePack, namespace: str) -> str:
    tax = xbrl_map()["taxonomy"]
    return (
        '<div style="display:none"><ix:header><ix:references>'
        f'<link:schemaRef xlink:type="simple" xlink:href={quoteattr(tax["entry_point"])}/>'
        f"</ix:references><ix:resources>{_contexts(pack, tax['prefix'])}"
        '<xbrli:unit id="u_t"><xbrli:measure>utr:t</xbrli:measure></xbrli:unit>'
        '<xbrli:unit id="u_pure"><xbrli:measure>xbrli:pure</xbrli:measure></xbrli:unit>'
        "</ix:resources></ix:header></div>"
    )


def render(
    pack: DisclosurePack, concepts: dict[str, str] | None = None, namespace: str | None = None
) -> str:
    """The ESRS E5 facts of ``pack`` as an inline XBRL document: a context for the entity and
    the reporting period and one per E5-5 breakdown (explicit dimension members), units t and
    pure, one ``ix:nonFraction`` per fact in a table."""
    tax = xbrl_map()["taxonomy"]
    ns = namespace or tax["namespace"]
    prefix = tax["prefix"]
    names = concepts or {}
    xmlns = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items() if k != "xhtml")
    rows = []
    for f in pack.facts:
        unit = "%" if f["type"] == "percent" else "t"
        cell = _fact(f, prefix, names.get(f["key"], f["concept"]))
        rows.append(
            f"<tr><td>{escape(f['dr'])}</td><td>{escape(f['label'])}</td>"
            f'<td style="text-align:right">{cell}</td><td>{unit}</td></tr>'
        )
    span = f"{pack.period.start.isoformat()}–{pack.period.end.isoformat()}"
    title = f"{pack.company.name} — ESRS E5 {span}"
    notes = "".join(f"<li>{escape(n)}</li>" for n in pack.notes)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<html xmlns="{NS["xhtml"]}" {xmlns} xmlns:{prefix}="{ns}" xml:lang="en">'
        f"<head><title>{escape(title)}</title></head><body>"
        f"{_header(pack, ns)}<h1>{escape(title)}</h1>"
        "<table><thead><tr><th>Disclosure</th><th>Datapoint</th><th>Value</th><th>Unit</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<h2>Notes</h2><ul>{notes}</ul></body></html>\n"
    )


def _q(tag: str, ns: str) -> str:
    return f"{{{NS[ns]}}}{tag}"


def _number(text: str, fmt: str | None) -> float | None:
    """The value of a displayed number under ixt:num-dot-decimal (None if it does not read)."""
    if fmt is None or not fmt.endswith(":num-dot-decimal"):
        return None
    t = text.strip()
    if not re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?", t):
        return None
    return float(t.replace(",", ""))


def read_facts(text: str) -> list[dict[str, Any]]:
    """The numeric facts of an inline XBRL document: concept (Clark notation), context and
    its dimensions (``dims``: axis → member, Clark notation), unit, decimals and the value
    (display × 10^scale). Raises ValueError if it is not well-formed XML."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"document over {MAX_CHARS:,} characters")
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    prefixes = _prefixes(text)
    dims = {c.get("id", ""): _dimensions(c, prefixes)[0] for c in root.iter(_q("context", "xbrli"))}
    out = []
    for el in root.iter(_q("nonFraction", "ix")):
        name = el.get("name", "")
        pre, _, local = name.partition(":")
        shown = _number("".join(el.itertext()), el.get("format"))
        scale = int(el.get("scale", "0"))
        out.append(
            {
                "concept": f"{{{prefixes.get(pre, '')}}}{local}" if pre in prefixes else name,
                "prefix_declared": pre in prefixes,
                "context": el.get("contextRef"),
                "unit": el.get("unitRef"),
                "decimals": el.get("decimals"),
                "format": el.get("format"),
                "value": None if shown is None else shown * 10.0**scale,
                "dims": dims.get(el.get("contextRef") or "", {}),
            }
        )
    return out


def _prefixes(text: str) -> dict[str, str]:
    return dict(re.findall(r'xmlns:([A-Za-z_][\w.-]*)="([^"]+)"', text))


def _clark(qname: str, prefixes: dict[str, str]) -> str | None:
    """``prefix:local`` in Clark notation, or None if it is not a QName of a declared
    prefix."""
    pre, sep, local = qname.strip().partition(":")
    if not sep or pre not in prefixes or not re.fullmatch(r"[A-Za-z_][\w.-]*", local):
        return None
    return f"{{{prefixes[pre]}}}{local}"


def _dimensions(c: ET.Element, prefixes: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """A context's dimensions (axis → member, Clark notation; a typed member's value as its
    text) from its scenario and segment, and the problems: a dimension or member that is not
    a QName of a declared prefix, a dimension given twice, a typed member without exactly one
    element."""
    dims: dict[str, str] = {}
    problems = []
    boxes = [*c.iter(_q("scenario", "xbrli")), *c.iter(_q("segment", "xbrli"))]
    for box in boxes:
        for m in box:
            tag = m.tag.rpartition("}")[2]
            if m.tag not in (_q("explicitMember", "xbrldi"), _q("typedMember", "xbrldi")):
                continue
            axis = _clark(m.get("dimension", ""), prefixes)
            if axis is None:
                problems.append(f"{tag} dimension {m.get('dimension')!r} is not a declared QName")
                continue
            if axis in dims:
                problems.append(f"dimension {m.get('dimension')} given twice")
            if tag == "explicitMember":
                member = _clark(m.text or "", prefixes)
                if member is None:
                    problems.append(f"member {m.text!r} of {m.get('dimension')} is not a QName")
                dims[axis] = member or ""
            elif len(list(m)) != 1:
                problems.append(f"typed member of {m.get('dimension')} needs one element")
            else:
                dims[axis] = "".join(m.itertext()).strip()
    return dims, problems


def _contexts_units(
    root: ET.Element, prefixes: dict[str, str]
) -> tuple[dict[str, ET.Element], dict[str, ET.Element], list[str]]:
    problems = []
    contexts = {c.get("id", ""): c for c in root.iter(_q("context", "xbrli"))}
    same: dict[tuple[str, ...], str] = {}
    units = {u.get("id", ""): u for u in root.iter(_q("unit", "xbrli"))}
    for cid, c in contexts.items():
        ident = c.find(f"{_q('entity', 'xbrli')}/{_q('identifier', 'xbrli')}")
        if ident is None or not (ident.text or "").strip() or not ident.get("scheme"):
            problems.append(f"context {cid}: no entity identifier with a scheme")
        start = c.find(f".//{_q('startDate', 'xbrli')}")
        end = c.find(f".//{_q('endDate', 'xbrli')}")
        if start is None or end is None or not (start.text or "") < (end.text or ""):
            problems.append(f"context {cid}: the period needs startDate before endDate")
        dims, more = _dimensions(c, prefixes)
        problems += [f"context {cid}: {p}" for p in more]
        key = tuple(
            ET.tostring(e, encoding="unicode") for e in c if e.tag != _q("scenario", "xbrli")
        ) + tuple(sorted(f"{a}={m}" for a, m in dims.items()))
        if key in same:
            problems.append(f"context {cid}: the same entity, period and dimensions as {same[key]}")
        same.setdefault(key, cid)
    for uid, u in units.items():
        measures = [m.text or "" for m in u.iter(_q("measure", "xbrli"))]
        if len(measures) != 1 or ":" not in measures[0]:
            problems.append(f"unit {uid}: needs one measure, a QName")
    return contexts, units, problems


def check_structure(text: str, expected: list[dict[str, Any]] | None = None) -> list[str]:
    """Problems of an inline XBRL document found by parsing it back, without the taxonomy:
    well-formed XHTML with one ``ix:header`` holding a ``link:schemaRef``; every context
    with an entity identifier and a start before the end, its dimensions (scenario or
    segment) QNames of declared prefixes, none twice, a typed member one element, and no
    two contexts alike; every unit one QName measure; no two facts of a concept with the
    same dimensions and unit; every
    numeric fact's prefix declared, its context and unit present, decimals an integer or
    INF, its displayed value readable under its format; ids unique; and, with ``expected``
    (the pack's facts), the facts read back equal to the figures within their decimals and
    with their dimensions (axis and member local names).
    An empty list means the structure holds."""
    try:
        facts = read_facts(text)
    except ValueError as exc:
        return [str(exc)]
    root = ET.fromstring(text.encode("utf-8"))
    problems = []
    if root.tag != _q("html", "xhtml"):
        problems.append("the root is not an XHTML html element")
    headers = list(root.iter(_q("header", "ix")))
    if len(headers) != 1:
        problems.append(f"{len(headers)} ix:header elements (one expected)")
    if not any(r.get(_q("href", "xlink")) for r in root.iter(_q("schemaRef", "link"))):
        problems.append("no link:schemaRef with an xlink:href (the taxonomy entry point)")
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    if len(ids) != len(set(ids)):
        problems.append("duplicate id attributes")
    contexts, units, more = _contexts_units(root, _prefixes(text))
    problems += more
    seen: set[tuple[Any, ...]] = set()
    for i, f in enumerate(facts):
        where = f"fact {i + 1} ({f['concept']})"
        if not f["prefix_declared"]:
            problems.append(f"{where}: the concept's prefix is not declared")
        if f["context"] not in contexts:
            problems.append(f"{where}: contextRef {f['context']!r} has no context")
        if f["unit"] not in units:
            problems.append(f"{where}: unitRef {f['unit']!r} has no unit")
        if f["decimals"] != "INF" and not re.fullmatch(r"-?\d+", f["decimals"] or ""):
            problems.append(f"{where}: decimals must be an integer or INF")
        if f["value"] is None:
            problems.append(f"{where}: the displayed value does not read as {f['format']}")
        dims = tuple(sorted(f["dims"].items()))
        if (f["concept"], dims, f["unit"]) in seen:
            problems.append(f"{where}: a second fact of the concept with the same dimensions")
        seen.add((f["concept"], dims, f["unit"]))
    if expected is not None:
        problems += _compare(facts, expected)
    return problems


def _compare(facts: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    if len(facts) != len(expected):
        return [f"{len(facts)} facts read back, {len(expected)} expected"]
    out = []
    for f, e in zip(facts, expected, strict=True):
        name = e["key"] + "".join(f"[{m}]" for m in (e.get("breakdown") or {}).values())
        tol = 0.5 * 10.0 ** -DECIMALS[e["type"]] + 1e-12
        if f["value"] is None or not math.isclose(f["value"], e["value"], abs_tol=tol):
            out.append(f"{name}: read back {f['value']}, expected {e['value']}")
        got = {a.rpartition("}")[2]: m.rpartition("}")[2] for a, m in f["dims"].items()}
        if got != (e.get("dims") or {}):
            out.append(f"{name}: dimensions read back {got}, expected {e.get('dims') or {}}")
    return out


# ---- the taxonomy package (supplied by the user) -------------------------------------------
MAX_PACKAGE_BYTES = 200_000_000
MAX_MEMBER_BYTES = 100_000_000


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> ET.Element:
    """A member of the package parsed; one too large, not XML or damaged is a
    :class:`ModelError` naming it (the caller adds the package's file)."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise ModelError([Problem("taxonomy", f"{info.filename}: over {MAX_MEMBER_BYTES:,} "
                                  "bytes")])
    odd = unbounded([info])
    if odd is not None:
        raise ModelError([Problem("taxonomy", f"{info.filename}: compressed with {odd[1]}, "
                                  "which unpacks without a bound; taxonomy packages are "
                                  "zipped with deflate")])
    try:
        with z.open(info) as fh:
            return ET.parse(fh).getroot()
    except (ET.ParseError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelError([Problem("taxonomy", f"{info.filename}: cannot be read as XML "
                                  f"({exc})")]) from None


def _labels(z: zipfile.ZipFile) -> dict[str, str]:
    """English standard/terse label text → element id (``esrs_X``) over the label linkbases."""
    out: dict[str, str] = {}
    lab = "{http://www.xbrl.org/2003/linkbase}"
    xl = "{http://www.w3.org/1999/xlink}"
    for info in z.infolist():
        n = info.filename.lower()
        if not n.endswith(".xml") or "lab" not in Path(n).name:
            continue
        root = _read(z, info)
        for link in root.iter(f"{lab}labelLink"):
            locs = {
                e.get(f"{xl}label"): (e.get(f"{xl}href") or "").partition("#")[2]
                for e in link.iter(f"{lab}loc")
            }
            texts: dict[str | None, list[str]] = {}
            for e in link.iter(f"{lab}label"):
                if (e.get("{http://www.w3.org/XML/1998/namespace}lang") or "").startswith("en"):
                    texts.setdefault(e.get(f"{xl}label"), []).append(
                        " ".join("".join(e.itertext()).split())
                    )
            for arc in link.iter(f"{lab}labelArc"):
                for t in texts.get(arc.get(f"{xl}to"), []):
                    out.setdefault(t.rstrip("¹ "), locs.get(arc.get(f"{xl}from"), ""))
    return out


def _check_dimensions(by_name: dict[str | None, ET.Element]) -> list[Problem]:
    """The breakdowns' axes (explicit dimensions) and members are declared in the package."""
    out = []
    for key, ax in xbrl_map()["dimensions"]["axes"].items():
        el = by_name.get(ax["axis"])
        if el is None or not (el.get("substitutionGroup") or "").endswith("dimensionItem"):
            out.append(Problem(f"dimensions.axes.{key}", f"no dimension {ax['axis']}"))
        elif any(k.endswith("typedDomainRef") for k in el.attrib):
            out.append(Problem(f"dimensions.axes.{key}", f"{ax['axis']} is a typed dimension"))
        missing = [m for m in (ax["domain"], *ax["members"].values()) if m not in by_name]
        if missing:
            out.append(Problem(f"dimensions.axes.{key}", "no member " + ", ".join(missing)))
    return out


def resolve_taxonomy(path: str | Path) -> tuple[dict[str, str], str]:
    """Resolve every fact's label to its concept in the EFRAG ESRS taxonomy package at
    ``path`` (the zip as downloaded): (key → concept local name, the concepts' namespace).
    A label the package does not have, or a concept whose type does not fit (mass /
    percent) or that is not a duration item, is an error naming the fact; so is an axis of
    the E5-5 breakdowns that is not an explicit dimension there, or a member it lacks."""
    p = Path(path)
    src = str(p)
    if not p.is_file() or not zipfile.is_zipfile(p):
        raise ModelError([Problem("taxonomy", "not a taxonomy package (.zip)")], src)
    if p.stat().st_size > MAX_PACKAGE_BYTES:
        raise ModelError([Problem("taxonomy", f"over {MAX_PACKAGE_BYTES:,} bytes")], src)
    cfg = xbrl_map()
    try:
        return _resolve(p, cfg)
    except ModelError as exc:
        raise ModelError(exc.problems, src) from None


_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,199}")
"""A concept's local name as written into the document (ASCII XML NCName): a package's
names went in unchecked, and a name with a quote or an angle bracket broke the document
(review 318)."""
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\"'<>&]{1,500}")
"""A targetNamespace written into the document's attributes: an absolute URI (scheme:…)
without white space, quotes, angle brackets or ampersands."""


def _resolve(p: Path, cfg: dict[str, Any]) -> tuple[dict[str, str], str]:
    """:func:`resolve_taxonomy` on a package whose size was checked."""
    src = str(p)
    with zipfile.ZipFile(p) as z:
        cor = [
            i for i in z.infolist() if i.filename.endswith("/" + cfg["taxonomy"]["concepts_file"])
        ]
        if not cor:
            raise ModelError(
                [Problem("taxonomy", f"no {cfg['taxonomy']['concepts_file']} in the package")], src
            )
        schema = _read(z, cor[0])
        labels = _labels(z)
    namespace = schema.get("targetNamespace", "")
    elements = {e.get("id"): e for e in schema.iter(f"{{{XS}}}element")}
    concepts, problems = {}, []
    for spec in cfg["facts"]:
        el = elements.get(labels.get(spec["label"]))
        if el is None:
            problems.append(Problem(f"facts.{spec['key']}", f"label {spec['label']!r} not found"))
            continue
        want = "massItemType" if spec["type"] == "mass" else "percentItemType"
        if not (el.get("type") or "").endswith(want):
            problems.append(
                Problem(f"facts.{spec['key']}", f"{el.get('name')} is {el.get('type')}, not {want}")
            )
        if "periodType" in str(el.attrib) and not any(
            v == "duration" for k, v in el.attrib.items() if k.endswith("periodType")
        ):
            problems.append(
                Problem(f"facts.{spec['key']}", f"{el.get('name')} is not a duration item")
            )
        concepts[spec["key"]] = el.get("name", "")
        if not _NCNAME.fullmatch(concepts[spec["key"]]):
            problems.append(Problem(f"facts.{spec['key']}", "the concept's name "
                                    f"{concepts[spec['key']][:80]!r} is not an XML name"))
    if not _NAMESPACE.fullmatch(namespace):
        problems.append(Problem("taxonomy", f"targetNamespace {namespace[:80]!r} is not an "
                                "absolute URI without spaces, quotes or angle brackets"))
    problems += _check_dimensions({e.get("name"): e for e in elements.values()})
    if problems:
        raise ModelError(problems, src)
    return concepts, namespace
