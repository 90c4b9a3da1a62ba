"""The LEAP report as PDF (matplotlib's PDF backend, A4 portrait): a page of charts (map of
the areas' extents, integrated impact, water extent with the 10-year return level, NDVI),
then the report's blocks (:func:`junkan.nature.report.blocks`) flowed over as many pages as
they need; long tables are split with their header repeated. Fonts are embedded (Type 3);
Japanese needs a CJK font installed (Noto Sans CJK JP, IPAexGothic, …)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from junkan.nature.geo import NatureInputError
from junkan.nature.pdf_layout import A4, LEFT, WIDTH_PT, Flow, wrap
from junkan.nature.report import blocks
from junkan.nature.results import rings

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from junkan.nature.results import NatureResult

FONTTYPE = 3
"""Type 3 subsets: Noto CJK is CFF-flavoured OpenType, which Type 42 embeds badly."""
CJK_FONTS = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Noto Sans JP", "TakaoGothic")
CJK_FILES = ("notosanscjkregular", "ipaexg", "ipag", "notosansjpregular", "takaogothic")
"""File stems (lower case, no hyphens) of those fonts, added when matplotlib's cache lacks
them."""


def _font(lang: str) -> list[str]:
    from matplotlib import font_manager

    if lang != "ja":
        return ["DejaVu Sans"]
    have = {f.name for f in font_manager.fontManager.ttflist}
    if not have & set(CJK_FONTS):  # a font cache built before the system fonts: add them
        for path in font_manager.findSystemFonts():
            if Path(path).stem.lower().replace("-", "") in CJK_FILES:
                font_manager.fontManager.addfont(path)
        have = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in have:
            return [name, "DejaVu Sans"]
    raise NatureInputError(
        f"report.pdf: no Japanese font found (looked for {', '.join(CJK_FONTS)}); install one "
        "(e.g. apt install fonts-noto-cjk) or write the PDF in English (--lang en)"
    )


def _map(ax: Axes, r: NatureResult, t: dict[str, str]) -> None:
    from matplotlib import colormaps
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    cmap = colormaps["YlOrRd"]
    for a, c, v in r.mapped_areas():
        face = "0.63" if v is None else cmap(v / 100)  # grey: not assessed
        shape = MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in rings(a)))
        ax.add_patch(PathPatch(shape, alpha=0.6, ec="k", fc=face))  # holes wind the other way
        ax.annotate(a["id"], (c["lon"], c["lat"]), ha="center", va="center", fontsize=8)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.ticklabel_format(useOffset=False, style="plain")  # degrees, no "+1.078e2" offset
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel(t["lon"])
    ax.set_ylabel(t["lat"])
    ax.tick_params(labelsize=6)
    ax.set_title(t["map"], fontsize=8)


def _charts(fig: Figure, r: NatureResult, t: dict[str, str]) -> None:
    axes = fig.subplots(2, 2, gridspec_kw={"hspace": 0.35, "wspace": 0.3})
    fig.subplots_adjust(top=0.9, bottom=0.08, left=0.1, right=0.95)
    _map(axes[0][0], r, t)
    ids = [str(a["id"]) for a in r.areas]
    axes[0][1].bar(ids, [a["integrated"]["value"] or 0.0 for a in r.areas], color="tab:red")
    axes[0][1].set_ylim(0, 100)
    axes[0][1].set_title(t["chart_score"], fontsize=8)
    for a in r.areas:
        dates = [s["date"][:4] for s in a["scenes"]]
        if "water_km2" in a["scenes"][0]:
            line = axes[1][0].plot(
                dates, [s["water_km2"] for s in a["scenes"]], marker="o", label=a["id"]
            )[0]
            lv = (a.get("flood") or {}).get("return_levels_km2")
            if lv:
                axes[1][0].axhline(lv["10"]["value"], ls="--", lw=0.8, color=line.get_color())
        if "NDVI" in a["scenes"][0]:
            axes[1][1].plot(dates, [s["NDVI"] for s in a["scenes"]], marker="o", label=a["id"])
    for ax, key in ((axes[1][0], "chart_water"), (axes[1][1], "chart_ndvi")):
        ax.set_title(t[key], fontsize=8)
        ax.legend(fontsize=6)
    for ax in (axes[0][1], axes[1][0], axes[1][1]):
        ax.tick_params(labelsize=6)


def _render(pdf: Any, r: NatureResult, t: dict[str, str], title: str) -> None:
    from matplotlib.figure import Figure

    first = Figure(figsize=A4)
    first.suptitle("\n".join(wrap(title, WIDTH_PT, 12, True)), fontsize=12, weight="bold")
    _charts(first, r, t)
    first.text(LEFT, 0.02, f"{title} — {t['page']} 1", fontsize=7)
    pdf.savefig(first)
    flow = Flow(pdf, title, t["page"])
    for b in blocks(r, t):
        if b.kind in ("h2", "h3"):
            flow.text(b.text, 11 if b.kind == "h2" else 9, bold=True)
        elif b.kind == "p":
            flow.text(b.text, 7)
        elif b.kind == "table":
            flow.table(b)
        else:
            flow.text("; ".join(f"{k}: {v}" for k, v in b.items.items()), 7)
    flow.close()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_pdf(r: NatureResult, t: dict[str, str], lang: str, path: str | Path) -> Path:
    """Write the report to ``path`` atomically (a temporary file renamed)."""
    try:
        from matplotlib import rc_context
    except ImportError:
        raise NatureInputError(
            f"{path}: the PDF report needs matplotlib: pip install 'junkan[maps]' "
            "(or write the HTML report)"
        ) from None
    from matplotlib.backends.backend_pdf import PdfPages

    out = Path(path)
    title = f"{t['title']}: {r.name}"
    family = _font(lang)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with (
            rc_context({"font.family": family, "pdf.fonttype": FONTTYPE}),
            PdfPages(tmp, metadata={"Title": title}) as pdf,
        ):
            _render(pdf, r, t, title)
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would create it, not mkstemp's 0600
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
