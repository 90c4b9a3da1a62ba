"""The service's words in each language: the message catalogues the web page speaks from
(``web/static/i18n/{en,ja}.json``, shipped in the package), read here for the reports a
command writes, so that a report and the page say a stage or a figure the same way.

>>> messages("ja")["stage.Use"]
'使用'
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from junkan.core.errors import fill_in

__all__ = ["LANGUAGES", "Language", "messages", "say"]

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")


@lru_cache(maxsize=len(LANGUAGES))
def messages(lang: Language) -> dict[str, str]:
    """The catalogue of ``lang`` (message key → wording with ``{name}`` placeholders)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for language {lang!r}; known: {', '.join(LANGUAGES)}")
    path = resources.files("junkan").joinpath("web", "static", "i18n", f"{lang}.json")
    catalogue: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return catalogue


def say(lang: Language, key: str, default: str | None = None, **params: Any) -> str:
    """The message ``key`` of ``lang`` with ``params`` filled in; ``default`` (or the key
    itself) when the catalogue has no such message (a model's own names)."""
    template = messages(lang).get(key)
    if template is None:
        return key if default is None else default
    return fill_in(template, params) if params else template
