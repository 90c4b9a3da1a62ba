"""``junkan sensing``: the shredder monitor — run a scenario, evaluate detectors on held-out
scenarios, write a generated recording, publish one to an MQTT broker or listen to one (the
verbs of :mod:`junkan.sensing`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from junkan.cli.common import (
    Format,
    atomic_dir,
    check_file_out,
    check_out,
    console,
    fail,
    print_json,
    print_table,
    write_file_out,
)
from junkan.core.errors import JunkanError

if TYPE_CHECKING:  # junkan.sensing (scipy.signal) is imported by the commands, not at start-up
    from junkan import sensing

app = typer.Typer(no_args_is_help=True, help="Shredder monitoring (sensing).")

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario (YAML or JSON).")]
FormatOption = Annotated[Format, typer.Option("--format")]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Folder for report.html, result.json and the table (Parquet)."),
]


def _load(file: Path) -> sensing.Scenario:
    from junkan import sensing

    try:
        return sensing.load(file)
    except JunkanError as exc:
        fail(exc)


def _num(x: object) -> str:
    return "—" if x is None or x != x else f"{x:.3g}"  # noqa: PLR0124  NaN check


@app.command("run")
def run_cmd(scenario: ScenarioArg, out: OutOption = None, fmt: FormatOption = Format.table) -> None:
    """Generate the scenario and run the monitor over it: alarms, actions and evidence."""
    from junkan import sensing

    check_out(out, command="sensing run")  # refused before the work
    res = sensing.run(_load(scenario))
    if out is not None:
        with atomic_dir(out, record="sensing run") as tmp:
            res.report(tmp / "report.html")
            res.to_frame().to_parquet(tmp / "trace.parquet", index=False)
            import json

            (tmp / "result.json").write_text(json.dumps(res.to_json()), encoding="utf-8")
    if fmt is Format.json:
        print_json(res.to_json())
        return
    print_table(
        f"alarms — {res.scenario}",
        ["id", "start s", "end s", "action", "evidence"],
        [
            [
                a.id,
                f"{a.start:.1f}",
                _num(a.end),
                a.action,
                "; ".join(f"{e['source']}:{e['signal']}" for e in a.evidence),
            ]
            for a in res.monitor.alarms
        ],
        right=("start s", "end s"),
    )


@app.command("evaluate")
def evaluate_cmd(
    scenario: Annotated[
        list[Path],
        typer.Option("--scenario", help="Held-out scenario (repeat the option for more)."),
    ],
    out: OutOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Score the monitor and every detector on the scenarios: event F1, latency p50/p95,
    false alarms per 8 h, NAB (standard, reward-low-FN), VUS-PR."""
    from junkan import sensing

    check_out(out, command="sensing evaluate")  # refused before the work
    scs = [_load(f) for f in scenario]
    try:
        ev = sensing.evaluate(scs)
    except JunkanError as exc:
        fail(exc)
    if out is not None:
        with atomic_dir(out, record="sensing evaluate") as tmp:
            ev.report(tmp / "report.html")
            import json

            (tmp / "result.json").write_text(json.dumps(ev.to_json()), encoding="utf-8")
    if fmt is Format.json:
        print_json(ev.to_json())
        return
    cols = ["system", "F1", "precision", "recall", "FA / 8 h", "NAB", "NAB low-FN", "VUS-PR"]
    # a score that is 0/0 (no alarms, no events) reads "n/a", never as a perfect 1
    rows = ev.summary_rows(_num, short=True)
    print_table("detectors on held-out scenarios", cols, rows, right=cols[1:])
    if any("n/a" in r for r in rows):
        console.print(sensing.NOT_DEFINED_NOTE)


@app.command("generate")
def generate_cmd(
    scenario: ScenarioArg,
    out: Annotated[
        Path, typer.Option("--out", help="A .csv or .parquet file: one row per 10 ms frame.")
    ],
) -> None:
    """Write the scenario's generated recording (signals and true state)."""
    from junkan import sensing

    kind = out.suffix.lower()  # REC.CSV is a CSV file too
    if kind not in (".csv", ".parquet"):
        fail(f"--out {out}: give a .csv or .parquet file")
    check_file_out("--out", out)  # a folder, or one that cannot be made: before the work
    df = sensing.generate(_load(scenario)).to_frame()
    data = (df.to_csv(index=False).encode("utf-8") if kind == ".csv"
            else df.to_parquet(index=False))
    write_file_out("--out", out, data)  # whole or not at all
    console.print(f"wrote {len(df)} frames to {out}")


@app.command("publish")
def publish_cmd(
    scenario: ScenarioArg,
    broker: Annotated[str, typer.Option(help="mqtt://host:port")],
    speed: Annotated[float, typer.Option(min=0.1, max=1000)] = 1.0,
) -> None:
    """Replay a generated recording to a broker as its edge gateway would, ``speed`` × real
    time (needs the 'sensing' extra)."""
    from junkan import sensing

    sc = _load(scenario)
    gw = sensing.Gateway(broker, sc.line.id)
    if not gw.wait_connected(10):  # it replayed an hour of frames to nobody, silently
        gw.close()
        why = "none within 10 s" if gw.status == "connecting" else gw.status
        fail(f"--broker {broker}: no connection ({why}); is an MQTT broker listening there "
             "(e.g. mosquitto)?")
    rec = sensing.generate(sc)
    n = len(rec.t) // 10
    console.print(f"publishing {n:,} batches of line {sc.line.id} to {broker} at {speed:g}× "
                  f"real time (about {n * 0.1 / speed / 60:.1f} min); Ctrl-C stops")
    t0 = time.time()
    for i in range(n):
        s = slice(i * 10, i * 10 + 10)
        gw.publish(
            sensing.Batch(
                sc.line.id, i, t0 + float(rec.t[s.start]), {k: v[s] for k, v in rec.signals.items()}
            )
        )
        time.sleep(max(0.0, t0 + (i + 1) * 0.1 / speed - time.time()))
    time.sleep(0.5)
    gw.close()


@app.command("listen")
def listen_cmd(
    broker: Annotated[str | None, typer.Option(help="mqtt://host:port")] = None,
    opcua: Annotated[
        str | None, typer.Option(help="opc.tcp://host:port/path of a PLC's OPC UA server")
    ] = None,
    line: Annotated[
        list[str] | None, typer.Option(help="With --opcua: a line to subscribe to (repeat).")
    ] = None,
    seconds: Annotated[float, typer.Option(min=1, max=7 * 86400)] = 60,
    raw: Annotated[
        Path | None, typer.Option(help="Keep the raw streams here (Parquet by line and day).")
    ] = None,
) -> None:
    """Monitor every line publishing to the MQTT broker (or the ``--line`` s of an OPC UA
    server) for ``seconds``; print every action as it is taken — an alarm's onset, each
    escalation or step down, and its clearing — with its time and evidence (needs the
    'sensing' extra)."""
    from junkan import sensing

    if (broker is None) == (opcua is None):
        raise typer.BadParameter("give either --broker or --opcua")
    if opcua is not None and not line:
        raise typer.BadParameter("--opcua needs at least one --line")
    params = sensing.LineParams.of(sensing.Scenario(duration_s=2))
    store = sensing.RawStore(raw) if raw is not None else None
    ing: Any
    if broker is not None:
        ing = sensing.Ingest(broker, sensing.train(), params, store=store, on_action=say_action)
    else:
        ing = sensing.OpcuaIngest(
            opcua or "", sensing.train(), params, line or [], store=store, on_action=say_action
        )
    time.sleep(seconds)
    ing.close()
    lines = ing.lines
    for name, mon in lines.monitors.items():
        st = lines.order[name].stats
        still = [a.id for a in mon.alarms if a.end is None]
        console.print(
            f"{name}: {st.accepted} batches, {st.duplicates} duplicates, "
            f"{st.missing} missing, {st.late} late; {len(mon.alarms)} alarms"
            + (f" (still open: {', '.join(map(str, still))})" if still else "")
        )
    if lines.malformed:
        console.print(f"{len(lines.malformed)} malformed messages, e.g. {lines.malformed[0]}")
    if lines.masked:
        console.print(
            f"{lines.masked_count} readings out of range read as missing (the rest of their "
            f"batches kept), e.g. {lines.masked[0]}"
        )


def when(t: float) -> str:
    """A decision's time: the UTC clock time for a batch time in UNIX seconds (a live
    gateway's), else seconds from the start of the recording."""
    if t >= 1e9:
        stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return stamp[:-5] + " UTC"
    return f"t={t:.1f} s"


def say_action(line: str, change: dict[str, Any]) -> None:
    """One line of ``listen``'s output for an action the monitor took."""
    evidence = "; ".join(f"{e['source']}:{e['signal']}" for e in change["evidence"])
    kind, action = change["change"], change["action"]
    head = f"{line} {when(change['t'])} alarm {change['alarm']} {kind}: "
    if kind == "onset":
        text = action
    elif kind == "clear":
        text = f"{change['previous']} → none after {change['t'] - change['start']:.1f} s"
    else:
        text = f"{change['previous']} → {action}"
    console.print(head + text + (f" ({evidence})" if evidence and kind != "clear" else ""))
