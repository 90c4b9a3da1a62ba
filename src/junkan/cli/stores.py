"""Opening the store a CLI command names with ``--database`` (the ``service`` extra): one
error line naming the store and what is wrong with it, never a traceback, and never an empty
database made — or junkan's tables added to another program's SQLite file — by a command
that only reads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from junkan.cli.common import fail

if TYPE_CHECKING:  # the store is imported when a command runs, not for ``junkan --help``
    from junkan.store.trace_repo import TraceRepo

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


def open_ledger(database: str | None, *, existing: bool = True) -> TraceRepo:
    """The trace ledger of the store at ``database`` (default: the configured one),
    migrated. With ``existing`` (commands that read, or write to a ledger that must already
    hold their organisations), a SQLite file that does not exist is refused; otherwise
    (``trace org``, ``trace import --create-org``) it is made, with its folder. Either way
    a file that is a folder, unreadable, not SQLite, or SQLite without junkan's tables is
    refused, as is a server that cannot be reached (its password hidden)."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from junkan.store.db import Database, Settings
    from junkan.store.trace_repo import TraceRepo

    url = database or Settings().database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        hint = f"sqlite:///{Path(url).resolve()}" if Path(url).is_file() else \
            "sqlite:///path/to/junkan.db"
        fail(f"--database {url}: not a store URL; give {hint} (a SQLite file) or "
             "postgresql+psycopg://user@host/name")
    shown = parsed.render_as_string(hide_password=True)
    where = f"--database {shown}" if database else \
        f"the store {shown} (no --database: JUNKAN_DATABASE_URL or the default)"
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    fresh = False
    if path and path != ":memory:":
        file = Path(path)
        if not file.exists():
            if existing:
                fail(f"{where}: {file} does not exist, so there is no junkan database to "
                     "read (`junkan trace org NAME --database …` or `junkan trace import … "
                     "--create-org` makes one)")
            file.parent.mkdir(parents=True, exist_ok=True)
        _check_file(where, file, empty_ok=not existing)
        fresh = not file.exists() or file.stat().st_size == 0
    try:
        db = Database(url)
        tables = set(inspect(db.engine).get_table_names())
        if not fresh and tables and not {"alembic_version", "organisations"} <= tables:
            fail(f"{where}: not a junkan database (it holds other tables, no junkan ones)")
        if existing and not tables:
            fail(f"{where}: not a junkan database (it holds no tables)")
        db.migrate()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"{where}: cannot open the database: {reason}")
    return TraceRepo(db)


def _check_file(where: str, file: Path, *, empty_ok: bool) -> None:
    """Refuse a SQLite path that is a folder, cannot be read or holds something else; an
    empty file is a new database where one may be made (``empty_ok``)."""
    if file.is_dir():
        fail(f"{where}: {file} is a folder, not a database file")
    if not file.exists():
        return
    try:
        with file.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        fail(f"{where}: cannot open {file}: {exc.strerror or exc}")
    if head != SQLITE_MAGIC and (head or not empty_ok):
        what = "an empty file" if not head else "not a SQLite file"
        fail(f"{where}: {file} is not a junkan database ({what})")


def product_lots(repo: TraceRepo, maker: str, refs: list[str]
                 ) -> tuple[list[dict[str, Any]], tuple[dict[str, dict[str, Any]], bool]]:
    """A product's lots as its ``maker`` sees them and the lots upstream of them
    (:func:`junkan.policy.procurement_upstream`; one the maker may not see: none). A named
    lot that is not found ends the command, naming the ledger read."""
    from junkan import policy
    from junkan.store.trace_base import TraceNotFound  # the store: 'service' extra

    try:
        lots = [repo.show(maker, lot) for lot in refs]
    except TraceNotFound as exc:  # said which ledger was read
        from sqlalchemy.engine import make_url

        where = make_url(repo.db.url).render_as_string(hide_password=True)
        fail(f"--database {where}: {exc} in its trace ledger")
    return lots, policy.procurement_upstream(lots, lambda ref: repo.shown(maker, ref))
