"""The record a results folder keeps of what wrote it: the command and the files it wrote
(``.junkan-results``). A command that cannot name its files before the work (simulate,
network solve, …) reads it when asked to write into that folder again, and stops before the
work when the folder holds files beyond it (the user's) or another command's results — not
after the work, when replacing the folder would delete them (review 234: 104.7 s of
``network solve`` thrown away; review 235: another command's results)."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

RECORD = ".junkan-results"
"""The record's file name, in the results folder."""
_HEAD = "# written by junkan: the command, then each file it wrote here (size, mtime, path)\n"
_COMMAND = "command: "
MAX_BYTES = 1 << 20
"""A record larger than this is not read (a results folder lists a few hundred files)."""


@dataclass(frozen=True)
class Record:
    command: str
    """The command, as typed after ``junkan`` (commands writing the same files share one)."""
    files: dict[str, tuple[int, int]]
    """Path relative to the folder → (size in bytes, modification time in ns) when written."""

    def names(self) -> set[str]:
        """The files listed, the record itself included."""
        return {RECORD, *self.files}

    def unchanged(self, folder: Path) -> set[str]:
        """The files listed that are still as junkan wrote them (same size and modification
        time, a regular file): an edited one is the user's now (review 236: an edited table
        was deleted by a run that no longer wrote it)."""
        kept = {RECORD}
        for name, (size, mtime) in self.files.items():
            try:
                st = os.lstat(folder / name)
            except (OSError, ValueError):
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_size, st.st_mtime_ns) == (size, mtime):
                kept.add(name)
        return kept


def write_record(folder: Path, command: str) -> None:
    """Record in ``folder`` that ``command`` wrote every file now under it."""
    rows = []
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):  # JSON keeps any name: a newline, bytes not UTF-8
            rows.append(json.dumps([st.st_size, st.st_mtime_ns,
                                    path.relative_to(folder).as_posix()]) + "\n")
    (folder / RECORD).write_text(_HEAD + f"{_COMMAND}{command}\n" + "".join(rows), "utf-8")


def read_record(folder: Path) -> Record | None:
    """The record of ``folder``, or ``None`` when it has none junkan wrote: missing, not a
    regular file (a FIFO would block the read; a link may be anyone's), too large, or not
    in its form."""
    path = folder / RECORD
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with path.open(encoding="utf-8") as f:
            text = f.read(MAX_BYTES + 1)
    except (OSError, UnicodeError, ValueError):
        return None
    head, _, rest = text.partition("\n")
    command, _, rows = rest.partition("\n")
    if len(text) > MAX_BYTES or f"{head}\n" != _HEAD or not command.startswith(_COMMAND):
        return None
    files: dict[str, tuple[int, int]] = {}
    for row in filter(None, rows.split("\n")):
        try:
            size, mtime, name = json.loads(row)
        except (ValueError, TypeError):
            return None
        if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(name, str)):
            return None
        files[name] = (size, mtime)
    return Record(command[len(_COMMAND):], files)
