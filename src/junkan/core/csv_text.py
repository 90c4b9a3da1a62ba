"""CSV text read row by row, with a line the ``csv`` module refuses — a cell over its 128 KiB
limit, a stray quote where ``strict`` is on — refused naming the line (rule
``csv-unreadable``): a raw ``csv.Error`` was a traceback in the CLI and a 500 in the
service."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from junkan.core.errors import ModelError, Problem, coded


def unreadable(line: int, exc: csv.Error) -> Problem:
    """The problem of CSV ``line`` that the ``csv`` module refused with ``exc``."""
    return coded(f"line {line}", "csv-unreadable", "not readable as CSV: {reason}",
                 reason=str(exc))


def line_cells(text: str, line: int, problems: list[Problem]) -> list[str] | None:
    """The stripped cells of CSV ``text``, one line of a file (number ``line``); ``None``,
    with the problem added to ``problems``, if the ``csv`` module refuses it."""
    try:
        return [c.strip() for c in next(csv.reader([text]), [])]
    except csv.Error as exc:
        problems.append(unreadable(line, exc))
        return None


def checked(reader: Any, refused: Callable[[int, csv.Error], Exception]) -> Iterator[Any]:
    """The rows of a ``csv.reader`` or ``csv.DictReader``; a line it refuses raises
    ``refused(line, error)``."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "reader", reader).line_num  # a DictReader's lags
            raise refused(line, exc) from None
        yield row


def rows(reader: Any, source: str) -> Iterator[list[str]]:
    """The rows of a ``csv.reader`` over ``source``'s text; a line it refuses raises
    :class:`~junkan.core.errors.ModelError` naming the line."""
    return checked(reader, lambda line, exc: ModelError([unreadable(line, exc)], source))
