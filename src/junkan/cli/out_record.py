"""The record a results folder keeps of what wrote it: the command and the files it wrote
(``.junkan-results``). A command that cannot name its files before the work (simulate,
network solve, …) reads it when asked to write into that folder again, and stops before the
work when the folder holds files beyond it (the user's) or another command's results — not
after the work, when replacing the folder would delete them (review 234: 104.7 s of
``network solve`` thrown away; review 235: another command's results)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

RECORD = ".junkan-results"
"""The record's file name, in the results folder."""
_HEAD = "# written by junkan: the command and the files it wrote here\n"
_COMMAND = "command: "
MAX_BYTES = 1 << 20
"""A record larger than this is not read (a results folder lists a few hundred files)."""


@dataclass(frozen=True)
class Record:
    command: str
    """The command, as typed after ``junkan`` (commands writing the same files share one)."""
    files: frozenset[str]
    """Paths relative to the folder, the record itself included."""


def write_record(folder: Path, command: str) -> None:
    """Record in ``folder`` that ``command`` wrote every file now under it."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    lines = [_HEAD, f"{_COMMAND}{command}\n", *(f"{n}\n" for n in names if "\n" not in n)]
    (folder / RECORD).write_text("".join(lines), "utf-8")


def read_record(folder: Path) -> Record | None:
    """The record of ``folder``, or ``None`` when it has none junkan wrote: missing, not a
    regular file (a FIFO would block the read), too large, not text, or not in its form."""
    path = folder / RECORD
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with path.open(encoding="utf-8") as f:
            text = f.read(MAX_BYTES + 1)
    except (OSError, UnicodeError, ValueError):
        return None
    head, _, rest = text.partition("\n")
    command, _, names = rest.partition("\n")
    if len(text) > MAX_BYTES or f"{head}\n" != _HEAD or not command.startswith(_COMMAND):
        return None
    return Record(command[len(_COMMAND):], frozenset({RECORD, *filter(None, names.split("\n"))}))
