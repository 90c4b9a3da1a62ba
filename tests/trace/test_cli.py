"""junkan trace CLI on a store file: import (JSON and CSV), show, verify (exit 1 after a
direct database edit), clear errors; and no acknowledged event lost after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import EXAMPLES, ROOT

EX = EXAMPLES / "trace"


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_import_show_verify_and_tamper(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert run("trace", "org", "org-A", "org-B", "org-E", "--database", db)[0] == 0
    assert run("trace", "import", str(EX / "A.json"), "--org", "org-A", "--database", db)[0] == 0
    code, out = run("trace", "import", str(EX / "E.csv"), "--org", "org-E", "--database", db)
    assert code == 0, out
    assert run("trace", "import", str(EX / "B.json"), "--org", "org-B", "--database", db)[0] == 0
    code, out = run("trace", "import", str(EX / "A-redeclare.json"), "--org", "org-A",
                    "--database", db)
    assert code == 0 and "notified org-B" in out
    code, out = run("trace", "show", "B", "--org", "org-B", "--database", db, "--format",
                    "json")
    doc = json.loads(out)
    assert doc["cfp_kgco2e"]["total"] == 11 and doc["recycled"]["total"] == 0.05
    assert run("trace", "show", "A", "--org", "org-E", "--database", db)[0] == 2  # not visible
    code, out = run("trace", "verify", "--database", db)
    assert code == 0 and "FAILED" not in out
    con = sqlite3.connect(tmp_path / "t.db")
    con.execute("UPDATE trace_events SET record = replace(record, '\"mass_kg\":10', "
                "'\"mass_kg\":11') WHERE lot = 'A' AND type = 'create'")
    con.commit()
    con.close()
    code, out = run("trace", "verify", "--database", db)
    assert code == 1 and "event 1 (create A): record changed" in out


def test_bad_batches_name_the_event(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    run("trace", "org", "org-A", "--database", db)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"events": [
        {"type": "create", "lot": "A", "material": "al", "mass_kg": 10, "cfp": {"total": 1}},
        {"type": "merge", "lot": "B", "mass_kg": 20, "inputs": [{"lot": "A", "mass_kg": 20}]}]}))
    code, out = run("trace", "import", str(bad), "--org", "org-A", "--database", db)
    assert code == 2 and "events[1] (merge B)" in out and "only 10 kg left" in out
    assert run("trace", "show", "A", "--org", "org-A", "--database", db)[0] == 2  # rolled back
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"events": [{"type": "create", "lot": "A", "material": "al",
                                              "mass_kg": 10, "cfp": {"total": 1,
                                                                     "fossil": 3}}]}))
    code, out = run("trace", "import", str(schema), "--org", "org-A", "--database", db)
    assert code == 2 and "events[0]" in out and "fossil" in out
    csv = tmp_path / "bad.csv"
    csv.write_text("type,lot,material,mass_kg,cfp_total\ncreate,Z,al,ten,1\n")
    code, out = run("trace", "import", str(csv), "--org", "org-A", "--database", db)
    assert code == 2 and "line 2" in out


WRITER = """
import sys
from pydantic import TypeAdapter
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.trace.events import Event
db = Database(sys.argv[1]); db.migrate()
store = Store(db)
if store.organisation_by_name("org-A") is None:
    store.create_organisation("org-A")
repo = TraceRepo(db)
ev = TypeAdapter(list[Event])
for b in range(100000):
    events = ev.validate_python([{"type": "create", "lot": f"K{b}-{i}", "material": "al",
                                  "mass_kg": 1, "cfp": {"total": 1}} for i in range(50)])
    repo.ingest("org-A", events)
    print(f"ack {b}", flush=True)
"""


def test_kill_9_during_ingest_loses_no_acknowledged_event(tmp_path: Path) -> None:
    from junkan.store.db import Database
    from junkan.store.trace_repo import TraceRepo

    url = f"sqlite:///{tmp_path / 'k.db'}"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    acked = -1
    deadline = time.monotonic() + 60
    while acked < 5 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ack"):
            acked = int(line.split()[1])
    time.sleep(0.3)  # kill it mid-batch, most likely
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:
        if line.startswith("ack"):
            acked = int(line.split()[1])
    repo = TraceRepo(Database(url))
    result = repo.verify("org-A")
    assert result.ok, result.problems
    assert result.events >= (acked + 1) * 50  # every acknowledged batch is there, whole
    assert result.events % 50 == 0  # and no half batch
