"""``junkan policy``: the municipal CE diagnosis, recycled-content periodic reports,
procurement checks, solar-panel sharing, reuse histories and disclosure packs — the verbs of
:mod:`junkan.policy`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import typer

from junkan import policy
from junkan.cli.common import (
    Format,
    atomic_dir,
    check_out,
    console,
    fail,
    out_console,
    print_json,
    print_table,
    reported,
)
from junkan.cli.stores import open_ledger, product_lots

app = typer.Typer(
    no_args_is_help=True,
    help="Policy: municipal CE diagnosis, recycled-content periodic reports, procurement "
    "criteria, solar-panel sharing, reuse histories, disclosure packs "
    "(自治体CE診断・再生材利用の定期報告・グリーン購入・太陽光パネル・リユース履歴・開示).",
)
FormatOption = Annotated[Format, typer.Option("--format")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write a report folder here.")]


class Reportable(Protocol):
    def to_json(self) -> dict[str, Any]: ...
    def report(self, path: str | Path, *, lang: str = "ja") -> Path: ...


MODELS = "policy diagnose --models"
"""The record of a folder of ``policy diagnose --models``."""


def write_outputs(
    out: Path, command: str, stem: str, res: Reportable, *,
    extra: dict[str, str] | None = None
) -> None:
    """Write ``<stem>.json`` and the report in Japanese and English (``<stem>.ja.html``,
    ``<stem>.en.html``), plus ``extra`` files (name → text), atomically into ``out``, with
    the record of ``command`` (as typed after ``junkan``)."""
    import json

    with atomic_dir(out, record=command) as tmp:
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / f"{stem}.json").write_text(
            json.dumps(res.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        for lang in ("ja", "en"):
            res.report(tmp / f"{stem}.{lang}.html", lang=lang)


def cell(x: Any) -> str:
    """A table cell: floats to 4 significant digits, lists joined."""
    if isinstance(x, float):
        return f"{x:,.4g}"
    if isinstance(x, list):
        return ", ".join(map(str, x))
    return "—" if x is None else str(x)


D = TypeVar("D")
def load_kind(file: Path, cls: type[D], kind: str) -> D:
    """The policy document at ``file``, which must be of ``kind``."""
    doc = policy.load(file)
    if not isinstance(doc, cls):
        fail(f"{file}: kind must be '{kind}' for this command")
    return doc


def _check_diagnosis_outputs(out: Path | None, models: Path | None) -> None:
    """``--out`` and ``--models`` as :func:`check_out` checks them, and apart: one in the
    other would replace the other's (review 242)."""
    check_out(out, command="policy diagnose")
    check_out(models, command=MODELS, flag="--models")
    if out is not None and models is not None:
        o, m = out.resolve(), models.resolve()
        if o == m or o in m.parents or m in o.parents:
            fail(f"--models {models}: is --out's folder, or in it or around it; give two "
                 "separate folders")


@app.command("diagnose")
def diagnose(
    file: Annotated[Path, typer.Argument(help="Diagnosis document (kind: diagnosis).")],
    format: FormatOption = Format.table,
    out: OutOption = None,
    models: Annotated[
        Path | None,
        typer.Option(
            "--models",
            help="Write each proposal's lifecycle model here (<model>.yaml); "
            "`junkan compare` on one prints the effects the diagnosis reports.",
        ),
    ] = None,
) -> None:
    """Diagnose a municipality from the MOE general-waste survey: per-capita figures, ranks
    among peers of similar size, potential by stream, proposals with effects computed by the
    lifecycle engine. ``--out`` writes diagnosis.json and the council report in Japanese
    (diagnosis.ja.html) and English; ``--models`` the proposals' lifecycle models."""
    _check_diagnosis_outputs(out, models)  # refused before the work
    with reported(file):
        d = load_kind(file, policy.Diagnosis, "diagnosis")
        res = policy.run(d)
    if out is not None:
        write_outputs(out, "policy diagnose", "diagnosis", res)
    if models is not None:  # a file there was refused before the work (check_out)
        try:
            with atomic_dir(models, f"--models {models}", record=MODELS) as tmp:
                written = res.write_models(tmp)
        except OSError as exc:
            fail(f"--models {models}: {exc.strerror or exc}")
        console.print(f"{len(written)} lifecycle models written to {models}", highlight=False)
    if format == Format.json:
        print_json(res.to_json())
        return
    doc = res.to_json()
    print_table(
        f"{doc['municipality']['name']} ({doc['municipality']['code']}) — "
        f"ranks among {len(res.peers)} peers{' (as listed)' if res.peers_listed else ''}",
        ("indicator", "value", "rank"),
        [
            (
                k,
                _figure(k, doc["current"][k]),
                "—" if v["rank"] is None else f"{v['rank']} / {v['of']}",
            )
            for k, v in doc["ranks"].items()
        ],
    )
    print_table(
        "Potential by stream (best-quartile rate)",
        ("stream", "own kg/person/yr", "best quartile", "potential t/yr"),
        [
            (
                p.stream,
                f"{p.own_kg_per_person_year:.2f}",
                f"{p.best_quartile_kg_per_person_year:.2f}",
                f"{p.potential_t:,.1f}",
            )
            for p in res.potential
        ],
    )
    print_table(
        "Proposals",
        ("measure", "diverted t", "CO2e t", "landfill t", "net cost kJPY", "lifecycle model"),
        [
            (
                p["en"],
                f"{p['diverted_t']:,.1f}",
                f"{p['co2e_reduction_t']:,.1f}",
                f"{p['landfill_avoided_t']:,.1f}",
                f"{p['net_cost_kJPY']:,.0f}",
                p.get("model") or "—",
            )
            for p in res.proposals
            if p["proposed"]
        ],
    )
    if out is not None:
        out_console.print(f"report written to {out}", highlight=False)


def _figure(key: str, value: float | None) -> str:
    """A diagnosis figure as the council report shows it (10,000; a rate in %)."""
    from junkan.core.report import format_number

    if key == "recycling_rate" and value is not None:
        return f"{format_number(100 * value)} %"
    return format_number(value)


@app.command("report")
def report(
    plan_file: Annotated[Path, typer.Argument(help="Plan document (kind: recycled_content_plan).")],
    period: Annotated[str, typer.Option(help="Reporting period: FY2028, 2028 or 2028Q2.")],
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv (filing)")] = "table",
    out: OutOption = None,
) -> None:
    """Compute a recycled-content periodic report from the trace ledger (never re-typed):
    mass-balance claims and the lots made under the physical chain-of-custody models;
    ``--out`` writes report.csv (filing layout), report.json
    (with evidence: the ledger's claim entries and lots) and report.ja.html / .en.html."""
    from sqlalchemy.engine import make_url

    from junkan.store.trace_base import TraceNotFound  # the store: the 'service' extra

    if format not in ("table", "json", "csv"):
        fail("--format must be table, json or csv")
    check_out(out, command="policy report")  # refused before the work
    with reported(plan_file):
        plan = load_kind(plan_file, policy.Plan, "recycled_content_plan")
        repo = open_ledger(database)
        try:
            statement = repo.statement(plan.maker)
        except TraceNotFound as exc:  # said which ledger was read, and what it needs
            where = make_url(repo.db.url).render_as_string(hide_password=True)
            fail(f"{exc} in the trace ledger of {where}: the report reads the maker's "
                 "recorded lots (junkan trace import … --org <maker>), or give --database")
        rep = policy.run(plan, statement=statement, period=period, lots=repo.made(plan.maker))
    if out is not None:
        # with a byte-order mark: Excel (Japanese Windows) reads the 報告期間… headers of a
        # CSV without one as Shift_JIS (review 318); standard output stays without
        write_outputs(out, "policy report", "report", rep,
                      extra={"report.csv": "\ufeff" + rep.to_csv()})
    if format == "json":
        print_json(rep.to_json())
    elif format == "csv":
        typer.echo(rep.to_csv(), nl=False)
    else:
        print_table(
            f"{rep.org} — {rep.period}",
            ("product", "characteristic", "recycled kg", "basis kg", "share", "gap"),
            [
                (
                    p["product"],
                    p["characteristic"],
                    f"{p['recycled_kg']:,.1f}",
                    f"{p['basis_kg']:,.1f}",
                    "—" if p["share"] is None else f"{100 * p['share']:.1f} %",
                    p["gap"],
                )
                for p in rep.products
            ],
        )


@app.command("procure")
def procure(
    file: Annotated[Path, typer.Argument(help="Check document (kind: procurement_check).")],
    database: Annotated[
        str | None,
        typer.Option(
            help="Store URL: read the product's lots from the trace ledger "
            "(as the maker sees them)."
        ),
    ] = None,
    criteria: Annotated[
        Path | None,
        typer.Option(
            help="Criteria set of your own (the layout of junkan's data/policy/"
            "procurement.yaml), e.g. with take-back or reparability criteria; default: "
            "the shipped set."
        ),
    ] = None,
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Check a product against the green-procurement criteria of its designated item
    (グリーン購入法): pass / fail per criterion, citing the declaration or the lots.
    Exit code 1 if a criterion fails or cannot be decided."""
    check_out(out, command="policy procure")  # refused before the work
    with reported(criteria or file):
        own = None if criteria is None else policy.read_procurement_criteria(criteria)
    with reported(file):
        chk = load_kind(file, policy.Check, "procurement_check")
        lots, upstream = None, None
        if database is not None and chk.product.lots:
            lots, upstream = product_lots(open_ledger(database), chk.product.maker,
                                          chk.product.lots)
        res = policy.run(chk, lots=lots, criteria=own, upstream=upstream)
    if out is not None:
        write_outputs(out, "policy procure", "procurement", res)
    if format == Format.json:
        print_json(res.to_json())
    else:
        keys = ("criterion", "required", "value", "basis", "verdict", "note")
        print_table(
            f"{chk.product.name} — {res.item.en}: {'pass' if res.passed else 'FAIL'}",
            keys,
            [tuple(str(v[k]) for k in keys) for v in res.verdicts],
        )
    if not res.passed:
        raise typer.Exit(1)


@app.command("solar")
def solar(
    file: Annotated[Path, typer.Argument(help="Registry document (kind: solar_registry).")],
    org: Annotated[str, typer.Option(help="View as this organisation (its roles decide).")],
    supply_year: Annotated[
        int | None,
        typer.Option(help="Print the network planner's supply section for this year instead.",
                     min=2000, max=2100),
    ] = None,
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Solar-panel information sharing: the installations ORG may see by its roles (owner,
    municipality, dismantler, recycler, maker), their end-of-life status and volumes."""
    check_out(out, command="policy solar")  # refused before the work
    with reported(file):
        reg = load_kind(file, policy.Registry, "solar_registry")
        view = policy.run(reg, org=org)
        supply = None if supply_year is None else _supply(reg, supply_year, file)
    if supply is not None:
        print_json(supply)
        return
    if out is not None:
        write_outputs(out, "policy solar", "solar", view)
    if format == Format.json:
        print_json(view.to_json())
        return
    keys = ("id", "roles", "municipality", "count", "end_of_business", "status", "mass_t")
    print_table(
        f"{org} — {len(view.installations)} installations",
        keys,
        [tuple(cell(d.get(k, "—")) for k in keys) for d in view.installations],
    )


def _supply(reg: policy.Registry, year: int, file: Path) -> dict[str, Any]:
    """The network planner's supply section; a refusal names the registry's file."""
    from junkan.core.errors import ModelError

    try:
        return policy.network_supply(reg, year)
    except ModelError as exc:
        raise ModelError(exc.problems, str(file)) from None


@app.command("solar-role")
def solar_role(
    org: Annotated[str, typer.Argument(help="Organisation name in the store.")],
    municipality: Annotated[
        str | None, typer.Option(help="It acts for this municipality (5-digit code).")
    ] = None,
    certified_recycler: Annotated[
        str | None, typer.Option(help="It is a certified recycler (certificate / permit).")
    ] = None,
    revoke: Annotated[
        str | None, typer.Option(help="Withdraw this role (municipality, certified_recycler).")
    ] = None,
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
) -> None:
    """Operator: grant or withdraw an organisation's role in the stored solar-panel registry
    (自治体・認定リサイクル業者); prints its roles."""
    from junkan.store.policy_repo import SolarNotFound, SolarRepo  # the 'service' extra

    repo = SolarRepo(open_ledger(database).db)
    try:
        if municipality is not None:
            repo.grant_role(org, "municipality", municipality)
        if certified_recycler is not None:
            repo.grant_role(org, "certified_recycler", certified_recycler)
        if revoke is not None and not repo.revoke_role(org, revoke):
            fail(f"{org} has no role {revoke!r}")
        print_json({"org": org, "roles": repo.roles_by_name(org)})
    except (ValueError, SolarNotFound) as exc:
        fail(str(exc))


@app.command("reuse-key")
def reuse_key() -> None:
    """Print a new Ed25519 key pair (base64url) for signing reuse records."""
    private, public = policy.new_key()
    print_json({"private_key": private, "public_key": public})


@app.command("reuse-sign")
def reuse_sign(
    file: Annotated[Path, typer.Argument(help="History document (kind: reuse_history).")],
    record: Annotated[Path, typer.Option(help="The new record (YAML/JSON mapping).")],
    key_file: Annotated[Path, typer.Option("--key", help="File holding the private key.")],
) -> None:
    """Append RECORD to the history, chained and signed with the key; print the history."""
    from junkan.core.documents import read_document, validate_with
    from junkan.core.errors import ModelError, coded

    with reported(file):
        h = load_kind(file, policy.History, "reuse_history")
        rec = validate_with(policy.Record, read_document(record), str(record))
        if problems := policy.record_problems(rec):
            raise ModelError(problems, str(record))
        if h.records and rec.at < h.records[-1].at:  # the record's fault, not the key's
            raise ModelError([coded("at", "record-before-last", "{at} is earlier than the "
                                    "history's last record ({last})", at=rec.at.isoformat(),
                                    last=h.records[-1].at.isoformat())], str(record))
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{key_file}: cannot read the key file "
                 f"({getattr(exc, 'strerror', None) or exc.__class__.__name__})")
        try:
            signed = policy.sign_record(h, rec, key)
        except ValueError as exc:
            fail(f"{key_file}: {exc}")
    print_json(signed.model_dump(mode="json", exclude_none=True))


@app.command("reuse")
def reuse(
    file: Annotated[Path, typer.Argument(help="History document (kind: reuse_history).")],
    trusted: Annotated[
        Path | None, typer.Option(help="YAML/JSON mapping: organisation → public key.")
    ] = None,
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Read a reused product's repair history as its buyer: every record's signature and
    chain checked, each author's key against ``--trusted``. Exit code 1 if a record does not
    verify or an author has no trusted key."""
    from junkan.core.documents import read_document
    from junkan.core.errors import ModelError

    check_out(out, command="policy reuse")  # refused before the work
    with reported(file):
        h = load_kind(file, policy.History, "reuse_history")
        keys = None
        if trusted is not None:
            doc = read_document(trusted)
            if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
                fail(f"{trusted}: expected a mapping of organisation → public key")
            keys = {str(k): str(v) for k, v in doc.items()}
            if problems := policy.trusted_problems(keys):
                raise ModelError(problems, str(trusted))
        res = policy.run(h, trusted=keys)
    if out is not None:
        write_outputs(out, "policy reuse", "reuse", res)
    if format == Format.json:
        print_json(res.to_json())
    else:
        frame = res.to_frame()
        state = "valid" if res.valid else "DOES NOT VERIFY"
        if res.intact and not res.authors_verified:
            state = "chain intact, authors NOT VERIFIED"
        print_table(
            f"{h.product.serial} — {state}",
            tuple(frame.columns),
            [tuple(str(x) for x in row) for row in frame.itertuples(index=False)],
        )
    if not res.authors_verified:
        typer.echo(
            "unverified authors (no trusted key): "
            + ", ".join(res.unverified_authors)
            + " — pass --trusted FILE, a YAML/JSON mapping of organisation → public key",
            err=True,
        )
    if not res.valid:
        raise typer.Exit(1)


@app.command("disclose")
def disclose(
    file: Annotated[Path, typer.Argument(help="Pack document (kind: disclosure_pack).")],
    taxonomy: Annotated[
        Path | None,
        typer.Option(help="The EFRAG ESRS XBRL taxonomy package (.zip) to resolve concepts."),
    ] = None,
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Assemble a disclosure pack: ESRS E5-4/E5-5 tables, CTI and ISO 59020 indicators with
    method notes; ``--out`` also writes esrs_e5.xhtml (inline XBRL, structure checked)."""
    check_out(out, command="policy disclose")  # refused before the work
    with reported(file):
        pack = policy.run(load_kind(file, policy.Pack, "disclosure_pack"))
        concepts, namespace = (None, None)
        if taxonomy is not None:
            concepts, namespace = policy.resolve_taxonomy(taxonomy)
        xhtml = pack.ixbrl(concepts, namespace)
    problems = policy.check_ixbrl(xhtml, pack.facts)
    if problems:  # a bug, not bad input: the pack must always read back
        fail("inline XBRL failed its structure check: " + "; ".join(problems))
    if out is not None:
        write_outputs(out, "policy disclose", "disclosure", pack, extra={"esrs_e5.xhtml": xhtml})
    if format == Format.json:
        print_json(pack.to_json())
        return
    keys = ("key", "value", "unit", "status")
    print_table(
        f"{pack.company.name} — ESRS E5, CTI, ISO 59020",
        keys,
        [
            tuple(cell(r[k]) for k in keys)
            for fw in ("esrs-e5", "cti", "iso59020")
            for r in pack.rows(fw)
        ],
    )

