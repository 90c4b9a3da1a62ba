"""HTML report pages: one look, one template, plotly.js once.

A :class:`Page` is a title and a list of sections (headings, paragraphs, tables, plotly
figures, images, trusted HTML fragments), rendered with the jinja2 template
``templates/page.html.j2`` and the stylesheet ``templates/report.css`` (inlined). Text is
escaped (autoescape): names and titles from users' documents cannot inject markup. Only
:class:`Markup` values and :meth:`Page.html` fragments are taken as HTML.

Plotly's JavaScript, policy: a page loads it from ``plotly.min.js`` in its own folder, and
:meth:`Page.write` copies that file from the installed ``plotly`` package next to the page
(once per folder; never from a CDN). A report folder holding several pages shares one copy;
a page opened without it says so instead of showing empty charts.

    page = Page("ATM reuse", source="examples/atm_reuse.yaml")
    page.heading("Headline figures").table(frame, caption="t CO2e")
    page.figure(fig)
    page.write(out / "report.html")   # also writes out / "plotly.min.js"
"""

from __future__ import annotations

import errno
import math
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from numbers import Integral, Number
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from markupsafe import Markup, escape

from junkan import __version__

if TYPE_CHECKING:
    import jinja2
    import pandas as pd

__all__ = ["MISSING", "PLOTLY_JS", "Markup", "Page", "escape", "format_number", "plotly_js",
           "write_atomic", "write_plotly_js"]

PLOTLY_JS = "plotly.min.js"
"""File name of Plotly's JavaScript, written beside the pages that draw charts."""

MISSING = "—"
"""How a table shows a missing value (``None``, NaN)."""

_NUMERIC = re.compile(r"^[−+\-]?[\d.,  ]*\d(\s?%)?$")


class Figure(Protocol):
    """What :meth:`Page.figure` needs of a figure (``plotly.graph_objects.Figure``)."""

    def to_html(self, *args: Any, **kwargs: Any) -> str: ...


def format_number(value: Any) -> str:
    """A number as a report shows it: 4 significant digits below 10 000, else whole with
    thousands separators; NaN and ``None`` as "—" (no value). Anything else as ``str``."""
    if isinstance(value, bool) or not isinstance(value, Number):
        return MISSING if value is None else str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return MISSING
    return f"{x:,.4g}" if abs(x) < 9999.5 else f"{x:,.0f}"  # 9,999.5 to 4 digits is 1e+04


@dataclass(frozen=True)
class _Cell:
    text: str | Markup
    num: bool


def _cell(value: Any, fmt: Any, numeric: bool) -> _Cell:
    if isinstance(value, Markup):
        return _Cell(value, numeric)
    if isinstance(value, Number) and not isinstance(value, bool):
        return _Cell(fmt(value), True)
    if value is None:
        return _Cell(fmt(value), numeric)
    text = str(value)
    return _Cell(text, numeric or bool(_NUMERIC.match(text)))


@dataclass
class _Section:
    kind: str
    text: str | Markup = ""
    level: int = 2
    style: str = ""
    items: list[Any] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[_Cell]] = field(default_factory=list)
    caption: str = ""
    row_header: int | None = None
    html: Markup = Markup("")
    src: str = ""
    alt: str = ""
    width: int | None = None


class Page:
    """One HTML report page. Methods add a section and return the page, so calls chain.

    ``title`` and every text are escaped; ``source`` (the document the report was made
    from) and the junkan version are named in the footer; ``subtitle`` is a line under the
    title. ``lang`` is the page's language (BCP 47)."""

    def __init__(self, title: str, *, lang: str = "en", source: str | os.PathLike[str] | None
                 = None, subtitle: str | Markup | None = None) -> None:
        self.title = title
        self.lang = lang
        self.source = None if source is None else str(source)
        self.subtitle = subtitle
        self.sections: list[_Section] = []

    @property
    def has_figures(self) -> bool:
        return any(s.kind == "figure" for s in self.sections)

    def heading(self, text: str | Markup, level: int = 2) -> Page:
        if not 2 <= level <= 4:
            raise ValueError(f"heading level {level}: use 2 to 4 (the title is the h1)")
        self.sections.append(_Section("heading", text=text, level=level))
        return self

    def paragraph(self, text: str | Markup, *, warning: bool = False) -> Page:
        """A paragraph of text; ``warning=True`` marks it as a warning note."""
        self.sections.append(_Section("paragraph", text=text,
                                      style="warning" if warning else ""))
        return self

    def bullets(self, items: Iterable[str | Markup]) -> Page:
        self.sections.append(_Section("list", items=list(items)))
        return self

    def definitions(self, items: Mapping[str, str | Markup]) -> Page:
        """A definition list (term → explanation); empty explanations are left out."""
        self.sections.append(_Section("definitions",
                                      items=[(k, v) for k, v in items.items() if v]))
        return self

    def table(self, data: pd.DataFrame | Iterable[Sequence[Any]], *,
              columns: Sequence[str] | None = None, caption: str = "",
              row_header: int | None = None, numeric: Iterable[int] = (),
              index: bool = False, fmt: Any = format_number) -> Page:
        """A table from a DataFrame (its columns; its index too with ``index=True``) or from
        rows with ``columns``. Numbers are formatted with ``fmt`` and right-aligned, as are
        strings that read as numbers and the cells of the ``numeric`` columns (indexes);
        :class:`Markup` cells are kept as HTML. Column ``row_header`` (an index) heads its
        row."""
        rows: Iterable[Sequence[Any]]
        if hasattr(data, "itertuples") and hasattr(data, "columns"):
            frame: Any = data.reset_index() if index else data  # type: ignore[union-attr]
            head = [str(c) for c in frame.columns]
            rows = frame.itertuples(index=False, name=None)
        else:
            if columns is None:
                raise ValueError("a table from rows needs its column names")
            head, rows = list(columns), data
        right = set(numeric)
        body = [[_cell(v, fmt, j in right) for j, v in enumerate(r)] for r in rows]
        for i, r in enumerate(body):
            if len(r) != len(head):
                raise ValueError(f"table row {i} has {len(r)} cells for {len(head)} columns")
        self.sections.append(_Section("table", columns=head, rows=body, caption=caption,
                                      row_header=row_header))
        return self

    def figure(self, fig: Figure) -> Page:
        """A plotly figure, drawn with the page's one copy of plotly.js."""
        n = sum(s.kind == "figure" for s in self.sections) + 1
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"figure-{n}")
        self.sections.append(_Section("figure", html=Markup(div)))
        return self

    def image(self, src: str, alt: str, *, width: int | None = None,
              caption: str = "") -> Page:
        """An image file referred to by a path relative to the page."""
        self.sections.append(_Section("image", src=src, alt=alt, width=width,
                                      caption=caption))
        return self

    def html(self, fragment: str | Markup) -> Page:
        """A fragment of *trusted* HTML, inserted as is. Never pass users' text here."""
        self.sections.append(_Section("html", html=Markup(fragment)))
        return self

    def render(self) -> str:
        """The page as an HTML document (expects ``plotly.min.js`` beside it)."""
        return _template().render(page=self, version=__version__, css=Markup(_css()),
                                  plotly_js=PLOTLY_JS)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page atomically to ``path`` (and ``plotly.min.js`` beside it when the
        page has figures); returns the page's path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.has_figures:
            write_plotly_js(path.parent)
        write_atomic(path, self.render().encode("utf-8"))
        return path


NAME_BYTES = 200
"""The most bytes of a name kept in a temporary sibling's name: a name up to the file
system's 255 bytes, with the dot, the random part and the suffix around it, overflowed the
limit (review 240: an 81-character Japanese folder name could not be written again)."""


def short_name(name: str, most: int = NAME_BYTES) -> str:
    """``name`` cut to ``most`` bytes (at a character's boundary), for a hidden temporary
    sibling's name or a cut folder name; a shorter name is returned as it is."""
    raw = os.fsencode(name)
    if len(raw) <= most:
        return name
    for end in range(most, most - 4, -1):  # a UTF-8 character is 1-4 bytes
        try:
            return raw[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return os.fsdecode(raw[:most])  # not UTF-8: the bytes as the file system has them


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``:
    readers see the old file or the new one, never half of one. A folder at ``path`` is
    an ``IsADirectoryError`` naming ``path`` (a folder is never replaced by a file)."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(path))
    tmp = path.with_name(f".{short_name(path.name)}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def plotly_js() -> bytes:
    """Plotly's minified JavaScript from the installed ``plotly`` package."""
    return (resources.files("plotly") / "package_data" / PLOTLY_JS).read_bytes()


def write_plotly_js(folder: str | os.PathLike[str]) -> Path:
    """Put ``plotly.min.js`` into ``folder`` unless the same file is already there."""
    target = Path(folder) / PLOTLY_JS
    js = plotly_js()
    if not (target.is_file() and target.stat().st_size == len(js)
            and target.read_bytes() == js):
        write_atomic(target, js)
    return target


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("junkan.core", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _template() -> jinja2.Template:
    return _environment().get_template("page.html.j2")


@cache
def _css() -> str:
    return (resources.files("junkan.core") / "templates" / "report.css").read_text("utf-8")
