"""Size and complexity limits on everything junkan reads from a user.

One :class:`Limits` object holds every limit with its default; each can be changed with an
environment variable ``JUNKAN_LIMIT_<FIELD>`` (e.g. ``JUNKAN_LIMIT_DOCUMENT_BYTES=33554432``).
Code reads the limits through :func:`limits`; tests change them with :func:`override_limits`.

An input over a limit is refused with a :class:`~junkan.core.errors.ModelError` that names the
limit and its environment variable, so an operator can raise it when a legitimate model needs
more. The defaults leave room for the largest models in the benchmarks (a 9.5 MB JSON model with
1,000 products × 20 parts × 50 years) while refusing inputs built only to exhaust the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from junkan.core.settings import EnvSettings

ENV_PREFIX = "JUNKAN_LIMIT_"


class Limits(EnvSettings):
    """Limits on input documents and on the models built from them (defaults in brackets)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    env_prefix: ClassVar[str] = ENV_PREFIX

    document_bytes: int = Field(default=16 * 2**20, ge=1)
    """Largest document read (16 MiB, UTF-8 bytes): the 1,000-product benchmark model is 9.5 MB
    of JSON; larger inputs cost seconds of parsing and hundreds of MB before any check runs."""
    annotation_bytes: int = Field(default=512 * 2**20, ge=1)
    """Largest image-annotation file read (COCO JSON, 512 MiB): ``junkan vision render``
    makes sets of up to 10,000 frames, about 31 KB of annotations each for 50 pieces
    (310 MB); public sets are of that order (COCO 2017's training instances: 448 MB). Read by
    the command line's training and evaluation on the user's own files; the service's
    uploads stay under the request body limit."""
    yaml_aliases: int = Field(default=10_000, ge=0)
    """Most uses of YAML aliases (``*name``) to mappings and lists in one document (10,000):
    ordinary models use a few to share a list; a "billion laughs" document needs many nested
    ones."""
    yaml_nodes: int = Field(default=2_000_000, ge=1)
    """Most YAML nodes counted with every alias expanded (2,000,000): an alias is stored once
    but every later walk over the data (validation, copies, error messages) expands it, so a
    9.5 KB document can stand for a billion values. The characters of all values, expanded the
    same way, must also stay within ``document_bytes``."""
    nesting_depth: int = Field(default=64, ge=1)
    """Deepest nesting of mappings and lists in a document (64): models nest about 8 deep;
    deeper documents only serve to exhaust the parser's recursion."""
    integer_magnitude: int = Field(default=2**53, ge=1)
    """Largest absolute integer (and float) in a document (2**53 = 9,007,199,254,740,992):
    beyond it integers lose precision as float64 and in JSON clients, and NumPy/SQL fixed-width
    integers overflow."""
    string_length: int = Field(default=65_536, ge=1)
    """Longest string (or mapping key) in a document, in characters (65,536): titles, sources
    and descriptions are far shorter; one huge string only bloats stored models and messages."""
    quantity_length: int = Field(default=200, ge=1)
    """Longest quantity or unit string such as ``"208 gCO2e/(t*km)"`` (200 characters)."""
    quantity_magnitude: float = Field(default=1e15, gt=0)
    """Largest absolute magnitude of a quantity after conversion to the unit the model stores it
    in (1e15, e.g. 1e15 kg = one petagram, ~10× the world's yearly material extraction): larger
    values are typing mistakes and overflow to infinity once multiplied by unit factors."""
    scenarios: int = Field(default=100, ge=0)
    """Most scenarios in one lifecycle model (100): every scenario is validated and compiled on
    load, so each one costs as much as the baseline."""
    bom_depth: int = Field(default=32, ge=1)
    """Deepest bill of materials, in part levels below a product (32)."""
    bom_instances: int = Field(default=200_000, ge=1)
    """Most part instances after expanding every product's BOM tree (200,000; the benchmark
    model has 20,000): a part used by several parents is expanded once per path, so a shallow
    DAG can stand for millions of instances."""
    years_products: int = Field(default=1_000_000, ge=1)
    """Most years × products in one lifecycle model (1,000,000; the benchmark has 50,000): the
    engine keeps arrays of this size per indicator."""
    trace_batch_events: int = Field(default=5_000, ge=1)
    """Most events in one batch posted to ``POST /api/trace/events`` (5,000), a split counting
    one per output and a merge, blend or process one per input: the ingest costs about 0.2 ms
    of CPU per lot written (5,000 creates: 1 s, of which 0.2 s validating on the event loop;
    one split into 5,000 lots: 0.3 s). Before this limit 160,000 events took 27 s and 500 MB,
    and ten splits into 10,000 lots each 6.5 s. A batch is counted before any event is
    validated, so an oversized one is refused after reading its JSON alone;
    ``junkan trace import`` reads files without this limit."""
    trace_genealogy_nodes: int = Field(default=1_000, ge=1)
    """Most lots in one genealogy answer (1,000), the nearest first; the answer then says
    ``"truncated": true`` and how many linked lots it left out. Each lot costs about 1.5 ms
    with its links (a lot split into 10,000, each split into 10: 2 s for the first 1,000
    lots, where the whole walk took 37 s, 1.5 GB and a 114 MB answer)."""
    trace_genealogy_links: int = Field(default=20_000, ge=0)
    """Most links (inputs and outputs) the lots of one genealogy answer list beyond the root's
    own (20,000): every lot given lists all its links, so a few lots with 10,000 outputs each
    would otherwise cost as much as a million lots. Links are counted before they are read;
    about 0.1 ms each."""
    pact_page_size: int = Field(default=1_000, ge=1)
    """Most footprints in one ``GET /3/footprints`` answer of the PACT host (1,000, an
    assumption): a larger ``limit`` is served in pages of this size, each with the ``Link``
    to the next. A served footprint is 1.5–1.7 KB (the conformance seed's, measured
    2026-12-03), so a page stays near 1.6 MB; before, ``limit`` had no maximum and every
    page was cached."""

    olca_entries: int = Field(default=50_000, ge=1)
    """Most JSON entities in an openLCA JSON-LD zip ``junkan olca import`` reads (50,000): a
    whole database export (ecoinvent has some 20,000 processes and as many product flows)
    needs it raised, with the two sizes below."""
    olca_member_bytes: int = Field(default=16 * 2**20, ge=1)
    """Largest entity of such a zip, unpacked (16 MiB); read and parsed whole."""
    olca_total_bytes: int = Field(default=256 * 2**20, ge=1)
    """Most bytes of all its entities, unpacked (256 MiB): the import holds them all, about
    3× their size in memory as parsed JSON."""
    olca_values: int = Field(default=8_000_000, ge=1)
    """Most JSON values (objects, arrays, numbers, strings) in all the entities of such a
    zip, counted before each is parsed (8 million, an assumption): at the byte limits, a zip
    of ``{},{},…`` is 24× its size in memory (15 such entities of 16 MiB, a 249 KB zip: 6 GB,
    review 249). Counted values of small objects (``{"k": 0.5}``) take up to ~108 bytes
    parsed, so the worst within this limit is ~0.9 GB, about what 256 MiB of ordinary JSON
    takes (~3× its size); ordinary exports hold one counted value per 25–33 bytes, so this
    limit and the 256 MiB one are reached at about the same size (review 252, measured)."""
    body_values: int = Field(default=250_000, ge=1)
    """Most values (numbers, strings, lists and objects) in one JSON request body of the
    service (250,000, an assumption: a form document may hold 200,000, overrides and
    analysis settings 50,000; a model sent as text is one value). Counted while the body is
    read in a thread, before the service validates it on its event loop, at 1–2.5 µs a
    value (review 244: a 15 MiB body of 5 million empty objects held every other request
    for 6–33 s; one of a million, 1.9 s)."""
    olca_text_chars: int = Field(default=1_000, ge=1)
    """Longest ``@id``, ``name`` or category path of an entity, or of a reference in one, in
    such a zip (1,000 characters, an assumption: far above the names openLCA databases
    use). A process's name is repeated in each note on its exchanges: a 100 KiB name over
    5,000 exchanges without amounts made 512 MB of notes from a 15.6 KB zip."""
    network_flows: int = Field(default=200_000, ge=1)
    """Most zone → hub flows in one network scenario: 47 zones × candidate hubs (shipped ports,
    prefectural offices and ``hubs.extra``) × commodities (200,000: about 4,200 hubs for one
    commodity; the shipped examples need at most 3,337 = 47 × 71 × 1, the benchmark's large
    scenario 33,840 = 47 × 60 × 12). Each flow is a MILP column with its linking row: 20,000
    extra hubs for one commodity (940,000 flows) built a model of 734 MB before solving, and
    1,600 extra hubs (75,200 flows) took 34 s to solve (both measured 2026-12-03). Counted
    before any hub is placed; refused naming ``hubs.extra``."""
    cflp_pairs: int = Field(default=200_000, ge=1)
    """Most site × customer pairs in one capacitated location instance ``junkan network cflp``
    solves (200,000, an assumption: twice the largest OR-Library instances, sets A-C of
    Beasley 1988 with 100 sites × 1,000 customers). Each pair is a MILP column with its
    strong-linking row; a 2,000 × 2,000 instance (4,000,000 pairs) still ran after 90 s
    (2026-12-05). Counted from the file's first line, before its numbers are checked."""
    alloy_update_lots: int = Field(default=500, ge=1)
    """Most lots in one ``alloy update`` request (500, a design choice): each lot is folded
    into the estimates after a prediction of the feed at the estimates so far, 3.3–7 ms a lot
    on this 2-core machine (500 lots: 1.7–3.4 s, the higher figures under a load of 6–8,
    2026-12-07). The lots of one feed are a campaign's, tens to a few hundred (a year of
    daily lots is 365); more are folded in several requests, each starting from the
    estimates the last one wrote. Counted before any lot is validated; refused naming
    ``lots``."""
    nature_areas: int = Field(default=200, ge=1)
    """Most sourcing areas in one nature assessment (200, a design choice): each area costs
    about 0.1–0.2 s beyond the assessment's fixed part (its flood-frequency bootstrap, class
    trends and statistics; 100 areas of the generated sample: 24 s where 3 took 6 s, measured
    2026-12-07), so 200 areas add 20–40 s, within the service's run budget (300 s of CPU).
    A company's sourcing areas (landscapes, supply sheds) number tens; farm plots by the
    thousand are assessed landscape by landscape. Counted when the areas file is read, before
    any polygon is checked; refused naming the file."""

    @staticmethod
    def env(field: str) -> str:
        """The environment variable that sets ``field``."""
        return ENV_PREFIX + field.upper()

    def describe(self, field: str) -> str:
        """``"limit 64 (JUNKAN_LIMIT_NESTING_DEPTH)"`` — for error messages."""
        return f"limit {getattr(self, field):,} ({self.env(field)})"


_current: Limits | None = None


def limits() -> Limits:
    """The limits in force (read from the environment once, then cached)."""
    global _current
    if _current is None:
        _current = Limits()
    return _current


def reset_limits() -> None:
    """Forget the cached limits; the next :func:`limits` reads the environment again."""
    global _current
    _current = None


@contextmanager
def override_limits(**changes: Any) -> Iterator[Limits]:
    """Run a block with some limits changed (tests), e.g. ``override_limits(scenarios=2)``."""
    global _current
    before = limits()
    _current = before.model_copy(update=changes)
    try:
        yield _current
    finally:
        _current = before
