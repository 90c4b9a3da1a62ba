"""What every ``junkan`` sub-app shares: the two consoles, ``--format``, the error exit, the
progress bar, atomic output folders and JSON output.

Errors in input (:class:`~junkan.core.errors.JunkanError`) print one ``error`` line per
problem to stderr and exit with code 2; nothing is written then. Output folders are written
under a temporary name beside the target and moved into place only when complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Protocol

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from junkan.cli.out_record import RECORD, read_record, write_record
from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError
from junkan.core.report import short_name

console = Console(stderr=True, emoji=False)  # ":car:" in a path is text, not 🚗
"""Messages, progress and errors (stderr)."""
out_console = Console(emoji=False)
"""Tables and summaries (stdout)."""

class ProgressCallback(Protocol):
    """What :func:`progress` yields: call it with (done, total), and a new label if the work
    moved on to another stage."""

    def __call__(self, done: int, total: int, /, label: str | None = None) -> None: ...


class Format(StrEnum):
    table = "table"
    json = "json"


LangOption = Annotated[Literal["en", "ja"], typer.Option(
    "--lang", help="Language of the report: en or ja.")]
"""The language a command writes its HTML report in."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with its control characters written as ``\\xNN``: a file name, title or value
    holding an escape sequence is shown, never sent to the terminal (which would obey it)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def say_error(error: JunkanError | str) -> None:
    """Print ``error`` as one ``error …`` line per problem on stderr."""
    for line in str(error).splitlines():  # the message's own brackets are text, not markup
        console.print(f"[red]error[/red] {escape(visible(line))}", highlight=False,
                      markup=True, soft_wrap=True)


def fail(error: JunkanError | str) -> NoReturn:
    """:func:`say_error`, then exit with code 2."""
    say_error(error)
    raise typer.Exit(2)


def year_window(years: str | None, option: str = "--years") -> tuple[int, int] | None:
    """A year window written ``2030:2044``, ``2030-2044`` or ``2030`` (one year) as
    (first, last); ``None`` when not given. Exits naming ``option`` when it is not one, or
    when it runs backwards."""
    if not years:
        return None
    lo, sep, hi = years.strip().replace(":", "-", 1).partition("-")
    try:
        first, last = int(lo), int(hi if sep else lo)
    except ValueError:
        fail(f"{option} {years!r}: give FIRST:LAST (or FIRST-LAST, or one year), "
             "e.g. 2030:2044")
    if first > last:
        fail(f"{option} {years!r}: FIRST must not come after LAST, e.g. 2030:2044")
    return first, last


@contextmanager
def reported(file: Path | None = None, *also: type[Exception]) -> Iterator[None]:
    """Turn a :class:`JunkanError` raised inside into :func:`fail`; the ``also`` exceptions
    too, as one line naming ``file``."""
    try:
        yield
    except JunkanError as exc:
        fail(exc)
    except also as exc:
        fail(f"{file}: {_reason(exc)}")


def _reason(exc: BaseException) -> object:
    """What went wrong, in words: an ``OSError``'s text, not its number."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.args[0] if exc.args else exc


@contextmanager
def progress(label: str, enabled: bool, unit: str = "years", total: int | None = None
             ) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr (``None`` when not ``enabled``) counting ``unit`` (of
    ``total``, where known from the start): call it with (done, total), and a label for a
    new stage."""
    if not enabled:
        yield None
        return
    # MofNCompleteColumn shows an unknown total as "?" (a TextColumn printed "0/None")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(escape(unit)), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, total: int, /, label: str | None = None) -> None:
            if label is None:
                bar.update(task, completed=done, total=total)
            else:
                bar.update(task, completed=done, total=total, description=label)

        yield update


def interactive() -> bool:
    """Whether stderr is a terminal (progress bars are shown only then)."""
    return sys.stderr.isatty()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_dir(target: Path, what: str | None = None,
               writes: Collection[str] | None = None, record: str | None = None
               ) -> Iterator[Path]:
    """Write into a temporary sibling folder; replace ``target`` only on success. The folder
    ends with the permissions a plain ``mkdir`` gives (the process umask), not ``mkdtemp``'s
    owner-only ones. An existing folder is replaced only if the results hold every file it
    holds (:func:`would_lose`: a folder this command wrote before), never one with other
    files in it; an existing file (or anything else that is not a folder) never is. A
    folder that cannot be made, a target that is a file or holds other files, or a move
    that fails is a :func:`fail` naming it (as ``what``, default ``--out TARGET``); no
    temporary folder is left behind on any failure, and the old folder stays as it was.
    ``writes``: every name the command may write (what :func:`check_out` was given before
    the work); a file beyond them is an internal error, as the early check would miss it.
    ``record``: the command (as typed after ``junkan``) of a folder that lists what wrote it
    (:mod:`~junkan.cli.out_record`) for the next run's early check (:func:`check_out`); that
    command's files listed there are its to replace, even those this run does not write
    (a report.pdf of an earlier ``--pdf``). Not for files for others (passports) or to edit
    (examples)."""
    name = what or f"--out {target}"
    refuse_non_folder(target, name)
    given, target = target, out_folder(target, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{short_name(target.name)}.", dir=target.parent))
    except OSError as exc:
        fail(f"{name}: cannot create the folder: {_reason(exc)}")
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if writes is not None and (beyond := sorted({p.name for p in tmp.iterdir()}
                                                    - set(writes))):
            raise JunkanError(f"internal error: {name}: wrote {beyond}, beyond "
                              f"{sorted(writes)}; please report this")
        if record is not None:
            write_record(tmp, record)
        refuse_non_folder(target, name)  # it may have appeared while the results were made
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # given every name the command may write, a file of its own from another run (the
    # Pareto page beside a single optimum's) is its to replace, as check_out judged before
    # the work (review 231: refused after the whole optimisation)
    earlier = read_record(target) if record is not None and target.is_dir() else None
    if earlier is not None and earlier.command == record:  # its own, from other options
        lost = would_lose({*earlier.unchanged(target), *(
            p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())}, target)
    elif record is not None and earlier is None:  # nothing in it is known to be its own
        lost = would_lose((), target)
    else:
        lost = would_lose(tmp if writes is None else writes, target)
    if lost:
        shutil.rmtree(tmp, ignore_errors=True)
        _refuse_losing(name, given, lost)
    try:
        _replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        fail(f"{name}: cannot move the results into place: {_reason(exc)}")


def _some(names: Sequence[str]) -> str:
    """The first three of ``names``, and "…" when there are more."""
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def _refuse_unrecorded(name: str, folder: Path) -> None:
    """:func:`fail` when ``folder``, which has no record junkan accepts (written by an older
    junkan, copied without it, or edited), holds anything: nothing in it is known to be the
    command's to replace (review 239: such a folder was refused only after a 24 s solve, and
    a file of the same name as a result was replaced)."""
    if held := would_lose((), folder, most=4):
        fail(f"{name}: holds {_some(held)} but no record of junkan's results ({RECORD}: "
             "missing, or not as junkan wrote it), so none of them is known to be this "
             "command's to replace; give a new or empty folder, or delete this one if "
             "nothing in it is yours")


def _refuse_losing(name: str, target: Path, lost: list[str]) -> None:
    fail(f"{name}: {target} holds files this command does not write ({_some(lost)}); "
         "replacing the folder would delete them: give a new or empty folder, or move them "
         "away")


def would_lose(new: Path | Collection[str], target: Path, most: int = 4) -> list[str]:
    """Files (paths relative to ``target``, at most ``most``) of an existing ``target``
    folder that the results in ``new`` do not hold: replacing the folder would delete them.
    A folder junkan wrote before holds only files the same command writes again, so it is
    replaced; one that also holds a user's notes or another command's results is not.
    ``new`` may also be the names the command may write (paths relative to ``target``):
    the files of ``target`` outside them are lost whatever the results hold."""
    if not target.is_dir():
        return []
    lost: list[str] = []
    # a folder that cannot be listed is the user's (review 239: os.walk skipped it, and the
    # replaced folder took it out of sight)
    for root, dirs, files in os.walk(target, onerror=lambda e: lost.append(
            f"{Path(e.filename or target).relative_to(target)}/ (cannot be read)")):
        rel = Path(root).relative_to(target)
        dirs.sort()
        lost.extend(str(rel / f) for f in sorted(files) if not (
            (new / rel / f).is_file() if isinstance(new, Path) else (rel / f).as_posix() in new))
        # a link (to a folder too: os.walk lists it with the folders) and an empty folder
        # are the user's as much as a file is (review 232: both were deleted silently)
        lost.extend(str(rel / d) for d in dirs if (Path(root) / d).is_symlink())
        if not (files or dirs or rel == Path(".") or (
                (new / rel).is_dir() if isinstance(new, Path)
                else any(n.startswith(f"{rel.as_posix()}/") for n in new))):
            lost.append(f"{rel}/")
        if len(lost) >= most:
            return lost[:most]
    return lost[:most]


def out_folder(target: Path, name: str) -> Path:
    """The folder ``target`` (given as ``name``) that results replace: absolute, and the
    folder a link to one points to (the link kept: review 232, the link was replaced by a
    folder and the results never reached the folder it named); :func:`fail` when it is the
    current folder or holds it (``--out .`` or ``--out ../here`` moved the folder the
    command runs in aside, and the results were left hidden)."""
    refuse_dot_dot_after_missing(target, name)
    path = target.absolute()
    # the folder itself, not a path through it: 'r/../r' stopped resolving once 'r' was moved
    # aside, and the folder was lost from sight (review 239); a final '..' names the folder
    # it leads to. realpath follows a link before the '..' after it, as the file system does
    # (review 233); a '..' after a missing folder is refused above.
    try:
        path = (path.resolve() if path.name in ("", ".", "..")
                else path.parent.resolve() / path.name)
        if path.is_symlink() and path.is_dir():  # the folder it points to, the link kept
            path = path.resolve()
    except (RuntimeError, OSError) as exc:  # a loop of links: RuntimeError in Python 3.11
        fail(f"{name}: cannot be followed to a folder ({_reason(exc)}): a loop of links?")
    if path.is_dir() and os.path.ismount(path):  # moving it aside fails after the work
        fail(f"{name}: is a mount point, and a results folder is replaced whole (moved "
             "aside, then removed); give a new folder inside it")
    here = Path.cwd().resolve()
    real = path.resolve()
    if real == here or real in here.parents:
        fail(f"{name}: is the current folder or holds it, and a results folder is replaced "
             "whole; give a new folder inside it or elsewhere")
    return path


def refuse_dot_dot_after_missing(path: Path, name: str) -> None:
    """:func:`fail` when a '..' in ``path`` (given as ``name``) follows a folder that does
    not exist: making the missing folders made that one only to leave it empty
    (``a_missing/../y.zip``)."""
    walked = Path(path.absolute().anchor)
    for part in path.absolute().parts[1:]:
        if part == ".." and not walked.exists():  # a dangling link or a loop names none
            fail(f"{name}: {walked} does not exist, so the '..' after it names no folder; "
                 "give the path without it")
        walked = walked / part


def refuse_undecodable(path: Path, flag: str) -> None:
    """:func:`fail` when ``path`` is not UTF-8 text (bytes the file system took as they
    were): the tables' writer failed on it after the work, in a traceback (review 238)."""
    try:
        os.fsdecode(path).encode("utf-8")
    except UnicodeEncodeError:
        fail(f"{flag} {ascii(os.fsdecode(path))}: is not UTF-8 text; give a path that is")


def refuse_non_folder(target: Path, name: str) -> None:
    """:func:`fail` when ``target`` exists and is not a folder (a file is never replaced)."""
    if (target.exists() or target.is_symlink()) and not target.is_dir():
        kind = "a file" if target.is_file() else "not a folder"
        fail(f"{name}: {target} is {kind}; give a folder (an existing file is never "
             "replaced by a results folder)")


def refuse_reading_path(flag: str, out: Path, **read: Path | None) -> None:
    """:func:`fail` when the path a command writes (``flag`` ``out``) is one of the files it
    reads (``what=path``): ``olca export m.yaml --out m.yaml`` replaced the model with a
    zip, ``calibrate --write-model`` the spec with the model (reviews 212 and 215). A path
    that cannot be looked at is left to the read or the write to report."""
    for what, given in read.items():
        try:
            same = given is not None and out.exists() and given.exists() and \
                out.samefile(given)
        except OSError:
            same = False
        if same:
            fail(f"{flag} {out}: is the {what} being read; give another path to write")


def check_out(out: Path | None, writes: Collection[str] | None = None,
              command: str | None = None, flag: str = "--out") -> None:
    """Stop before the analysis when ``--out`` cannot hold the results: it is a file, a
    file stands where one of its folders would be, the nearest existing folder is not
    writable, or (given ``writes``, every name the command may write there) it is a folder
    holding other files, which :func:`atomic_dir` would refuse to replace only after the
    whole analysis (17 s of a 3,000-run study thrown away, 2026-12-05). ``command`` (of a
    command writing with :func:`atomic_dir`'s ``record``): a folder recording another
    command is refused, one recording this command holds only the files it lists unchanged,
    and one holding anything without a record junkan accepts is refused. Missing folders
    are made when the results are written (:func:`atomic_dir`), as
    ``simulate --out`` makes them. ``flag``: the option naming the folder (``--models``), or
    ``""`` for an argument; messages start with it and the path."""
    if out is None:
        return
    name = f"{flag} {out}".lstrip()
    refuse_undecodable(out, flag or "OUT")
    refuse_non_folder(out, name)
    real = out_folder(out, name)
    earlier = read_record(real) if command is not None and real.is_dir() else None
    if earlier is not None and earlier.command != command:
        fail(f"{name}: holds the results of junkan {earlier.command} (listed in its "
             f"{RECORD}); replacing the folder would delete them: give a new or empty folder")
    if earlier is not None:  # the same command's: a file beyond its record is the user's,
        # and so is one changed since (review 237); one walk judges both
        lost = would_lose(earlier.unchanged(real), real, most=1_000)
        if changed := sorted(set(lost) & set(earlier.files)):
            # a record from before the hashes cannot tell a copy that lost the times
            older = any(earlier.files[c][2] is None for c in changed)
            fail(f"{name}: holds files changed since junkan wrote them ({_some(changed)}; "
                 "edited or replaced" + (", or copied without their times" if older else "")
                 + "); replacing the folder would delete them: "
                 "give a new or empty folder, move them away, or delete the folder if "
                 "nothing in it is yours")
    elif command is not None:  # no record: a file named like a result is the user's
        _refuse_unrecorded(name, real)  # (review 241: uncertainty replaced their summary.json)
        lost = []
    elif writes is not None:
        lost = would_lose(writes, real)
    else:
        lost = []
    if lost:
        _refuse_losing(name, out, lost)
    _writable_under(real, name, "folder")


def refuse_inside_out(flag: str, path: Path, out: Path | None, what: str) -> None:
    """:func:`fail` when the file ``path`` (given as ``flag``) lies inside the results folder
    ``out``, through links too: the next run replaces that folder whole, and refuses it, as
    it holds a file ``what`` does not write (calibrate's --write-model, alloy update's
    --estimates; reviews 232–234)."""
    if out is not None and out.resolve() in (path.resolve(), *path.resolve().parents):
        fail(f"{flag} {path}: is inside --out {out}, which the next run replaces whole (and "
             f"refuses, as it holds a file {what} does not write); give a path outside it")


def check_file_out(flag: str, path: Path) -> None:
    """Stop before the work when the file ``path`` (given as ``flag``) cannot be written:
    it is a folder, a file stands where one of its folders would be, or the nearest existing
    folder is not writable (review 231: ``calibrate --write-model`` into a missing or
    read-only folder failed after the fit). Missing folders are made when it is written
    (:func:`write_file_out`)."""
    refuse_undecodable(path, flag)
    if path.is_dir():
        fail(f"{flag} {path}: is a folder; give the path of a file to write")
    _writable_under(path, f"{flag} {path}", "file")


def refuse_foreign_file(flag: str, path: Path, command: str, wrote: Callable[[Path], bool]
                        ) -> None:
    """:func:`fail` when a file is at ``path`` that ``junkan command`` did not write
    (``wrote``): it is never replaced (review 248: ``olca import --out`` replaced a user's
    model with a template)."""
    if path.is_file() and not wrote(path):
        fail(f"{flag} {path}: a file is there that `junkan {command}` did not write, and it is "
             "never replaced: give another path, or delete the file if nothing in it is yours")


def write_file_out(flag: str, path: Path, data: bytes) -> None:
    """``data`` at ``path`` (given as ``flag``), whole or not at all, its missing folders
    made; a failure is a :func:`fail` naming the flag."""
    from junkan.core.report import write_atomic

    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        fail(f"{flag} {path}: cannot write it ({_reason(exc)}); check the folder")


def _writable_under(path: Path, name: str, kind: str) -> None:
    """:func:`fail` unless the nearest existing folder of ``path`` (a ``kind`` to make) can
    be written in, and no '..' follows a missing folder (``a_missing/../y.zip``)."""
    refuse_dot_dot_after_missing(path, name)
    base = path.absolute().parent  # as written ('a/../b' passes through 'a'), as mkdir goes
    while not (base.exists() or base.is_symlink()) and base != base.parent:
        base = base.parent
    if not base.is_dir():
        what = "a file" if base.is_file() else "not a folder"
        fail(f"{name}: {base} is {what}, so no folder can be made under it; give a {kind} "
             "path")
    try:  # a file made and removed: os.access says yes to root even in /proc (review 248)
        fd, probe = tempfile.mkstemp(prefix=".junkan-probe-", dir=base)
    except OSError as exc:
        fail(f"{name}: cannot write in {base} ({_reason(exc)})")
    os.close(fd)
    try:  # an append-only folder: written in, kept (review 252)
        os.unlink(probe)
    except OSError as exc:
        console.print(f"note {visible(name)}: the empty test file {visible(probe)} could not "
                      f"be removed ({_reason(exc)}); delete it", markup=False, soft_wrap=True)


def _replace(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target``; an existing ``target`` folder is moved aside into a
    unique hidden folder first and removed after, or moved back if the move fails."""
    if not (target.exists() or target.is_symlink()):
        tmp.rename(target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{short_name(target.name)}.old.", dir=target.parent))
    old = aside / "old"
    try:
        target.rename(old)
    except OSError:
        aside.rmdir()
        raise
    try:
        tmp.rename(target)
    except OSError:
        old.rename(target)  # if even this fails, the old folder stays in ``aside``, not deleted
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)


def print_json(doc: Any, *, ensure_ascii: bool = False) -> None:
    """``doc`` in JSON types (NaN as ``null``), indented, on stdout."""
    sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=ensure_ascii) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                right: Collection[str] = ()) -> None:
    """A table on stdout; the ``right`` columns right-aligned, cells as ``str``. A cell too
    wide for a narrow terminal is folded onto more lines, never cut (a parameter path cut to
    ``products.ro…`` named nothing). Titles and cells are text, never markup, and their
    control characters are shown (:func:`visible`)."""
    table = Table(title=Text(visible(title)))
    for c in columns:
        table.add_column(Text(visible(c)), justify="right" if c in right else "left",
                         overflow="fold")
    for r in rows:
        table.add_row(*[Text(visible(str(x))) for x in r])
    out_console.print(table)


def number(v: float, spec: str, whole_from: float) -> str:
    """``v`` as ``spec`` (``.4g``, ``+.4g``, ``,.6g``) says, but whole with separators once it
    rounds to ``whole_from`` or more: -17,036, not -1.704e+04 (222), nor 1e+04 for 9,999.7."""
    if abs(float(f"{v:{spec.lstrip('+,')}}")) >= whole_from:
        return f"{v:{'+' if spec.startswith('+') else ''},.0f}"
    return f"{v:{spec}}"
