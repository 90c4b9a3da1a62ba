"""The record a results folder keeps of what wrote it: the command and the files it wrote
(``.junkan-results``). A command that cannot name its files before the work (simulate,
network solve, …) reads it when asked to write into that folder again, and stops before the
work when the folder holds files beyond it (the user's) or another command's results — not
after the work, when replacing the folder would delete them (review 234: 104.7 s of
``network solve`` thrown away; review 235: another command's results)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RECORD = ".junkan-results"
"""The record's file name, in the results folder."""
_HEAD = "# written by junkan: the command, then each file it wrote here (size, mtime, path)\n"
"""The first line (kept since the record began: each row now also holds the file's SHA-256
before its path, and a row of three, written before, is still read)."""
_COMMAND = "command: "
_HEX = re.compile(r"[0-9a-f]{64}")
MAX_BYTES = 1 << 20
"""A record larger than this is not read (a results folder lists a few hundred files)."""


@dataclass(frozen=True)
class Record:
    command: str
    """The command, as typed after ``junkan`` (commands writing the same files share one)."""
    files: dict[str, tuple[int, int, str | None]]
    """Path relative to the folder → (size in bytes, modification time in ns, SHA-256 in hex
    or ``None`` in a record written before the hash was kept) when written."""

    def names(self) -> set[str]:
        """The files listed, the record itself included."""
        return {RECORD, *self.files}

    def unchanged(self, folder: Path) -> set[str]:
        """The files listed that are still as junkan wrote them, regular files of the same
        size and either the same modification time or, when that changed, the same content
        (SHA-256): an edited one is the user's now (review 236: an edited table was deleted
        by a run that no longer wrote it), a folder copied without its times (``cp -r``,
        a zip, a checkout) is still junkan's. The content is read only for a file whose time
        changed."""
        kept = {RECORD}
        for name, (size, mtime, digest) in self.files.items():
            path = folder / name
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode) or st.st_size != size:
                    continue
                if st.st_mtime_ns == mtime or (digest is not None and sha256(path) == digest):
                    kept.add(name)
            except (OSError, ValueError):
                continue
        return kept


def sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_record(folder: Path, command: str) -> None:
    """Record in ``folder`` that ``command`` wrote every file now under it."""
    rows = []
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):  # JSON keeps any name: a newline, bytes not UTF-8
            rows.append(json.dumps([st.st_size, st.st_mtime_ns, sha256(path),
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
    files: dict[str, tuple[int, int, str | None]] = {}
    for row in filter(None, rows.split("\n")):
        try:
            size, mtime, *digest, name = json.loads(row)
        except (ValueError, TypeError, RecursionError):  # '[' nested 100,000 deep
            return None
        if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(name, str)
                and (digest == [] or (len(digest) == 1 and _HEX.fullmatch(str(digest[0]))))):
            return None
        files[name] = (size, mtime, digest[0] if digest else None)
    return Record(command[len(_COMMAND):], files)


def starts_with(head: bytes) -> Callable[[Path], bool]:
    """Whether a file begins with ``head`` (the first line a command writes): for
    :func:`~junkan.cli.common.refuse_foreign_file`'s ``wrote``; a file that cannot be read
    is not."""
    def check(path: Path) -> bool:
        try:
            with path.open("rb") as f:
                return f.read(len(head)) == head
        except OSError:
            return False
    return check
