"""Page layout of the PDF report: text wrapped to the page width and tables whose columns fit
the page, their cells wrapped (never cut) and their rows as tall as their longest cell.

Widths are measured with matplotlib's own font metrics (the Agg renderer at ``DPI``, in the
font family of the current ``rcParams``; at 72 dpi the hinting of 6-pt glyphs onto 6-pixel
grids would change widths by a few per cent); CJK text breaks between any two characters,
other text at spaces (a word longer than its column breaks inside)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from junkan.nature.report import Block

A4 = (8.27, 11.69)
"""Page size, inches."""
PT_W, PT_H = A4[0] * 72, A4[1] * 72
"""Page size, points."""
TOP, BOTTOM, LEFT = 0.95, 0.05, 0.06
"""Top and bottom of the text area and the left (= right) margin, shares of the page."""
WIDTH_PT = PT_W * (1 - 2 * LEFT)
"""Width of the text area, points (≈ 524 pt)."""
LEADING = 1.3
"""Line height over font size."""
CELL_SIZE = 6.0
"""Font size of table cells, points."""
PAD = 2.5
"""Cell padding left and right, points (top and bottom: half of it)."""
MIN_COL = 18.0
"""Narrowest column, points (three characters of 6-pt CJK)."""

DPI = 720
"""Resolution of the measuring renderer: pixels per inch (10 per point)."""

_TOKEN = re.compile(r"[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                    r"\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\ua4cf\uff00-\uffef]+\s*|\s+")
"""Break opportunities: one CJK character (or full-width form), or a word with its spaces."""


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, DPI)  # the canvas size plays no part in measuring


@lru_cache(maxsize=20000)
def _width(s: str, size: float, bold: bool, family: tuple[str, ...]) -> float:
    from matplotlib.font_manager import FontProperties

    if not s.strip():
        return _width("a a", size, bold, family) - _width("aa", size, bold, family)
    prop = FontProperties(family=list(family), size=size, weight="bold" if bold else "normal")
    w, _, _ = _renderer().get_text_width_height_descent(s, prop, ismath=False)
    return float(w) * 72 / DPI


def width(s: str, size: float, bold: bool = False) -> float:
    """Width of one line of ``s`` in points, in the current font family: the sum of its
    break-separated pieces (each measured once and cached; kerning across a space or between
    CJK characters is ignored, which ``SLACK`` covers)."""
    from matplotlib import rcParams

    family = tuple(rcParams["font.family"])
    return sum(_width(t, size, bold, family) for t in _TOKEN.findall(s))


SLACK = 0.98
"""Share of a line's room that wrapped text may fill."""


def wrap(s: str, limit: float, size: float, bold: bool = False) -> list[str]:
    """``s`` broken into lines no wider than ``limit`` points (explicit newlines kept)."""
    room = limit * SLACK
    out: list[str] = []
    for para in s.split("\n"):
        line, used = "", 0.0
        for tok in _TOKEN.findall(para):
            if line.strip() and used + width(tok.rstrip(), size, bold) > room:
                out.append(line.rstrip())
                line, used, tok = "", 0.0, tok.lstrip()
            if width(tok.rstrip(), size, bold) > room:  # a word longer than the line
                for ch in tok:
                    cw = width(ch, size, bold)
                    if line and used + cw > room:
                        out.append(line.rstrip())
                        line, used = "", 0.0
                    line, used = line + ch, used + cw
            else:
                line, used = line + tok, used + width(tok, size, bold)
        out.append(line.rstrip())
    return out


def _longest_unbreakable(s: str, size: float, bold: bool) -> float:
    return max((width(t.strip(), size, bold) for t in _TOKEN.findall(s)), default=0.0)


def col_widths(table: list[list[str]], heads: list[str], total: float = WIDTH_PT) -> list[float]:
    """Column widths in points summing to ``total``: each column's natural width (its widest
    cell) when they all fit, scaled up to fill; otherwise the narrow columns keep theirs and
    the rest share what is left, none below its
    longest word (numbers stay whole) nor ``MIN_COL``: the wide columns are capped at one
    width, found by bisection. A header wraps rather than widening
    its column beyond its longest word."""
    n = len(heads)
    nat, least = [], []
    for i in range(n):
        cells = [r[i] for r in table]
        body = max((width(c, CELL_SIZE) for c in cells), default=0.0) / SLACK
        words = max((_longest_unbreakable(c, CELL_SIZE, False) for c in cells), default=0.0)
        words /= SLACK
        head_word = _longest_unbreakable(heads[i], CELL_SIZE, True) / SLACK
        low = max(MIN_COL, min(words, total / n) + 2 * PAD, min(head_word, total / n) + 2 * PAD)
        head = min(width(heads[i], CELL_SIZE, True) / SLACK, 60)  # longer headers wrap
        nat.append(max(low, body + 2 * PAD, head + 2 * PAD))
        least.append(low)
    if sum(nat) <= total:
        return [w * total / sum(nat) for w in nat]
    if sum(least) >= total:
        return [w * total / sum(least) for w in least]
    lo, hi = 0.0, max(nat)
    for _ in range(60):  # the cap on the wide columns that makes the widths add up to total
        cap = (lo + hi) / 2
        if sum(min(x, max(m, cap)) for x, m in zip(nat, least, strict=True)) > total:
            hi = cap
        else:
            lo = cap
    out = [min(x, max(m, lo)) for x, m in zip(nat, least, strict=True)]
    return [w * total / sum(out) for w in out]


@dataclass
class _Row:
    lines: list[list[str]]
    height: float  # points


class Flow:
    """Places blocks top-down on A4 pages, starting a new page when one is full."""

    def __init__(self, pdf: Any, title: str, page_word: str, first: int = 2) -> None:
        self.pdf, self.title, self.page_word = pdf, title, page_word
        self.n = first - 1
        self.fig: Figure | None = None
        self.y = TOP

    def _new(self) -> Figure:
        from matplotlib.figure import Figure

        self.close()
        self.n += 1
        self.fig = Figure(figsize=A4)
        footer = wrap(f"{self.title} — {self.page_word} {self.n}", WIDTH_PT, 7)[0]
        self.fig.text(LEFT, 0.02, footer, fontsize=7)
        self.y = TOP
        return self.fig

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def room(self, height: float) -> Figure:
        """The current page if ``height`` (share of the page) still fits, else a new one."""
        if self.fig is None or self.y - height < BOTTOM:
            return self._new()
        return self.fig

    def text(self, s: str, size: float, *, bold: bool = False) -> None:
        lines = wrap(s, WIDTH_PT, size, bold)
        step = size * LEADING / PT_H
        fig = self.room(step * len(lines) + step / 2)
        for line in lines:
            fig.text(LEFT, self.y, line, fontsize=size, weight="bold" if bold else "normal",
                     va="top")
            self.y -= step
        self.y -= step / 2

    def _row(self, cells: list[str], widths: list[float], bold: bool) -> _Row:
        lines = [wrap(c, w - 2 * PAD, CELL_SIZE, bold) for c, w in zip(cells, widths, strict=True)]
        return _Row(lines, max(len(x) for x in lines) * CELL_SIZE * LEADING + PAD)

    def table(self, b: Block) -> None:
        rows = [[str(c) for c in r] for r in b.rows] or [["—"] * len(b.columns)]
        widths = col_widths(rows, list(b.columns))
        head = self._row(list(b.columns), widths, True)
        body = [self._row(r, widths, False) for r in rows]
        i = 0
        while i < len(body):
            fig = self.room((head.height + body[i].height) / PT_H)
            self._draw(fig, head, widths, None, True)
            while i < len(body) and self.y - body[i].height / PT_H >= BOTTOM:
                self._draw(fig, body[i], widths, b.numeric, False)
                i += 1
            self.y -= CELL_SIZE * LEADING / PT_H
            if i < len(body):
                self.fig = self._new()

    def _draw(self, fig: Figure, row: _Row, widths: list[float], numeric: tuple[int, ...] | None,
              bold: bool) -> None:
        from matplotlib.patches import Rectangle

        h = row.height / PT_H
        x = LEFT
        for col, (lines, w) in enumerate(zip(row.lines, widths, strict=True)):
            wf = w / PT_W
            fig.add_artist(Rectangle((x, self.y - h), wf, h, fill=False, lw=0.5,
                                     transform=fig.transFigure))
            right = numeric is not None and col in numeric
            tx = x + (wf - PAD / PT_W if right else PAD / PT_W)
            fig.text(tx, self.y - PAD / 2 / PT_H, "\n".join(lines), fontsize=CELL_SIZE,
                     weight="bold" if bold else "normal", va="top",
                     ha="right" if right else "left", linespacing=LEADING)
            x += wf
        self.y -= h
