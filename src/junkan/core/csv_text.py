"""CSV text read row by row, with a line the ``csv`` module refuses — a cell over its 128 KiB
limit, a stray quote where ``strict`` is on — refused naming the line (rule
``csv-unreadable``): a raw ``csv.Error`` was a traceback in the CLI and a 500 in the
service."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from junkan.core.errors import ModelError, Problem, coded


def unreadable(line: int, exc: csv.Error) -> Problem:
    """The problem of CSV ``line`` that the ``csv`` module refused with ``exc``."""
    return coded(f"line {line}", "csv-unreadable", "not readable as CSV: {reason}",
                 reason=str(exc))


def line_cells(text: str) -> list[str]:
    """The cells of one line of CSV ``text``; ``csv.Error`` if the module refuses it."""
    return next(csv.reader([text]), [])


def rows(reader: Any, source: str) -> Iterator[list[str]]:
    """The rows of a ``csv.reader`` over ``source``'s text; a line it refuses raises
    :class:`~junkan.core.errors.ModelError` naming the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ModelError([unreadable(reader.line_num, exc)], source) from None
        yield row
