"""The one error hierarchy of junkan.

Every error says *where* (file, document path such as ``products.compressor.bom[2].mass``)
and *what to do*. The CLI maps :class:`JunkanError` to exit code 2 with its message; the API
maps it to a 4xx response with the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input document.

    Attributes
    ----------
    path:
        Location inside the document, dotted with ``[i]`` list indices, e.g.
        ``products.compressor.bom[2].mass``. Empty for the whole document.
    message:
        What is wrong and how to fix it.
    """

    path: str
    message: str

    def render(self, source: str | None = None) -> str:
        where = ":".join(p for p in (source, self.path) if p)
        return f"{where}: {self.message}" if where else self.message


class JunkanError(Exception):
    """Base class of every error junkan raises on purpose (bad input, bad state)."""


@dataclass
class ModelError(JunkanError):
    """A model document is invalid. Carries every problem found, each with its path."""

    problems: list[Problem] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [p.render(self.source) for p in self.problems]
        return "\n".join(lines) if lines else "invalid model"


def format_path(parts: tuple[int | str, ...] | list[int | str]) -> str:
    """Turn a location tuple such as ``("products", "x", "bom", 2)`` into ``products.x.bom[2]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
