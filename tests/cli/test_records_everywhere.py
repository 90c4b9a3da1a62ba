"""Every results-folder command keeps a record of what it wrote (review 241's follow-up):
``indicators``, ``meter``, ``sensing`` and ``policy`` judged an existing folder by the names
they write, so a user's own file named like one of their results (a ``summary.json``, a
``readings.csv``) was replaced without a word. Now a folder without junkan's record that
holds anything is refused before the work, naming what it holds; the command's own folder
is replaced on the next run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.cli.out_record import RECORD

ROOT = Path(__file__).parents[2]
EX = ROOT / "examples"

COMMANDS: dict[str, tuple[list[str], str]] = {
    # the command (its --out last) and a name it writes
    "indicators": (["indicators", str(EX / "compressor_magnet.yaml"), "--format", "html"],
                   "indicators.html"),
    "meter generate": (["meter", "generate", "--units", "4"], "readings.csv"),
    "meter import": (["meter", "import", "{day}/readings.csv", "-c", "{day}/circuits.yaml"],
                     "summary.json"),
    "meter photos": (["meter", "photos", "--per-model", "1", "--models", "1"], "truth.csv"),
    "meter listen": (["meter", "listen", "-c", "{day}/circuits.yaml", "--broker",
                      "mqtt://127.0.0.1:9", "--seconds", "600"], "readings.csv"),
    "sensing run": (["sensing", "run", str(EX / "sensing" / "jam_and_gas.yaml")],
                    "report.html"),
    "policy diagnose": (["policy", "diagnose", str(EX / "policy" / "diagnosis.yaml")],
                        "diagnosis.json"),
    "policy diagnose --models": (["policy", "diagnose", str(EX / "policy" / "diagnosis.yaml"),
                                  "--format", "json", "--models", "{out}"], "{model}"),
    "vision render": (["vision", "render", "{out}", "--images", "1", "--pieces", "3"],
                      "annotations.json"),
    "policy disclose": (["policy", "disclose",
                         str(ROOT / "tests" / "policy" / "fixtures" / "pack.yaml")],
                        "disclosure.json"),
}


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("day") / "day"
    res = CliRunner().invoke(app, ["meter", "generate", "--units", "4", "--out", str(folder)])
    assert res.exit_code == 0, res.output
    return folder


def _args(command: str, day: Path, out: Path) -> list[str]:
    args, _ = COMMANDS[command]
    given = [a.replace("{day}", str(day)).replace("{out}", str(out)) for a in args]
    return given if "{out}" in args else [*given, "--out", str(out)]


def _name(command: str) -> str:
    """A name the command writes (the first proposal's model for --models)."""
    name = COMMANDS[command][1]
    if name == "{model}":
        from junkan import policy
        from junkan.cli.policy import load_kind

        res = policy.run(load_kind(EX / "policy" / "diagnosis.yaml", policy.Diagnosis,
                                   "diagnosis"))
        name = next(iter(res.to_json()["proposals"]))["model"] + ".yaml"
    return name


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_users_file_named_like_a_result_is_kept(command: str, day: Path,
                                                   tmp_path: Path) -> None:
    if command == "vision render":
        pytest.importorskip("cv2")
    name = _name(command)
    out = tmp_path / "mine"
    out.mkdir()
    (out / name).write_text("my own notes\n")
    res = CliRunner().invoke(app, _args(command, day, out))
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert f"holds {name} but no record of junkan's results" in said, said
    assert (out / name).read_text() == "my own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # nothing left behind


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"meter listen"}))
def test_the_commands_own_folder_is_replaced_and_another_commands_refused(
        command: str, day: Path, tmp_path: Path) -> None:
    if command == "vision render":
        pytest.importorskip("cv2")
    out = tmp_path / "res"
    run = CliRunner().invoke
    for _ in range(2):
        res = run(app, _args(command, day, out))
        assert res.exit_code == 0, res.output
    assert (out / _name(command)).is_file() and (out / RECORD).is_file()
    other = "meter photos" if command != "meter photos" else "meter generate"
    res = run(app, _args(other, day, out))
    assert res.exit_code == 2 and f"holds the results of junkan {command}" in " ".join(
        res.output.split()), res.output


def test_meter_listen_says_when_the_broker_cannot_be_reached(day: Path, tmp_path: Path) -> None:
    """It waited the whole recording and said 'no readings received', as if the plant had
    been idle; now it says at once it is not connected, and at the end that it never was."""
    res = CliRunner().invoke(app, ["meter", "listen", "-c", str(day / "circuits.yaml"),
                                   "--broker", "mqtt://127.0.0.1:9", "--seconds", "1",
                                   "--out", str(tmp_path / "rec")])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "not connected to mqtt://127.0.0.1:9 yet" in said, said
    assert "no connection in the 1 s of the recording" in said
    assert not (tmp_path / "rec").exists()


def test_ctrl_c_is_said_and_leaves_nothing(day: Path, tmp_path: Path) -> None:
    """Review 241 (low): Ctrl-C ended a command with exit code 130 and no word."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "junkan", "meter", "listen", "-c", str(day / "circuits.yaml"),
         "--broker", "mqtt://127.0.0.1:9", "--seconds", "120", "--out", str(tmp_path / "rec")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"})
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the warning: it is recording (and not connected)
    assert "not connected to mqtt://127.0.0.1:9 yet" in first, first
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "stopped (Ctrl-C)" in rest and "Traceback" not in rest, rest
    assert list(tmp_path.iterdir()) == []


def test_review_242_smaller_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """meter segment and factors write the same files (factors into segment's folder was
    refused as another command's); indicators --out without --format html was ignored;
    policy diagnose --models inside --out wrote --out, then refused --models after it;
    meter listen read its circuits file after the recording."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    assert run(app, ["meter", "generate", "--units", "4", "--out", "day"]).exit_code == 0
    cycle = ["day/readings.csv", "-c", "day/circuits.yaml", "--scans", "day/scans.csv",
             "--out", "seg"]
    assert run(app, ["meter", "segment", *cycle]).exit_code == 0
    res = run(app, ["meter", "factors", *cycle])
    assert res.exit_code == 0, res.output
    res = run(app, ["indicators", str(EX / "compressor_magnet.yaml"), "--out", "ind"])
    assert res.exit_code == 2 and "add --format html" in res.output
    res = run(app, ["policy", "diagnose", str(EX / "policy" / "diagnosis.yaml"), "--out", "d",
                    "--models", "d/models"])
    assert res.exit_code == 2 and "give two separate folders" in " ".join(res.output.split())
    assert not Path("d").exists() and not Path("ind").exists()
    res = run(app, ["meter", "listen", "-c", "nosuch.yaml", "--seconds", "600", "--out", "r"])
    assert res.exit_code == 2 and "nosuch.yaml" in res.output  # at once, not after 600 s
    res = run(app, ["meter", "listen", "-c", "day/circuits.yaml", "--seconds", "600",
                    "--out", "seg"])  # a recording is never written over another folder
    assert res.exit_code == 2 and "holds the results of junkan meter segment" in " ".join(
        res.output.split())
    from junkan.cli.out_record import write_record

    Path("rec").mkdir()
    (Path("rec") / "readings.csv").write_text("t,circuit\n")
    write_record(Path("rec"), "meter listen")  # an earlier recording: never replaced
    res = run(app, ["meter", "listen", "-c", "day/circuits.yaml", "--seconds", "600",
                    "--out", "rec"])
    assert res.exit_code == 2 and "holds an earlier recording" in " ".join(res.output.split())
