"""The PDF report's layout: every text inside the page margins, no two texts on top of each
other, long cells wrapped (not cut), and the file written with the usual permissions."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("matplotlib", reason="needs the 'maps' extra")

from matplotlib import rc_context  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from junkan.nature import pdf as nature_pdf  # noqa: E402
from junkan.nature.geo import NatureInputError  # noqa: E402
from junkan.nature.pdf_layout import LEFT, PT_W, Flow  # noqa: E402
from junkan.nature.report import Block  # noqa: E402

LONG_JA = ("転換面積の割合 0.12 (高); 保護地域との重なりの割合 0.167 (高); SPI（最新） -1.65 (高); "
           "VCI（最新） 1.8 (高); 水ストレス地域からの取水の割合 1 (高); NDVI の低下 0.066 (中)")


class _Pages:
    def __init__(self) -> None:
        self.figs: list[Any] = []

    def savefig(self, fig: Any) -> None:
        self.figs.append(fig)


def _boxes(fig: Any) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each text's extent (x0, y0, x1, y1) in points, measured at 720 dpi: at 100 dpi Agg
    rounds each 7-pt glyph's advance to whole pixels, ~3 % wider than the PDF draws it."""
    fig.set_dpi(720)
    renderer = FigureCanvasAgg(fig).get_renderer()
    out = []
    for t in fig.findobj(Text):
        if t.get_text().strip() and t.get_visible():
            b = t.get_window_extent(renderer)
            out.append((t.get_text(), (b.x0 / 10, b.y0 / 10, b.x1 / 10, b.y1 / 10)))
    return out


def _ja_font() -> list[str]:
    try:
        return nature_pdf._font("ja")  # noqa: SLF001 - the module's own font choice
    except NatureInputError:
        pytest.skip("no Japanese font installed")


def test_text_wraps_inside_the_margins_without_overlaps() -> None:
    """The acceptance check's failures: a Japanese risk table with narrow headers and a long
    cell ran off the right edge, and a long bank-portfolio heading was cut."""
    pages = _Pages()
    with rc_context({"font.family": _ja_font()}):
        flow = Flow(pages, "自然関連評価（TNFD LEAP）", "ページ")
        flow.text("銀行ポートフォリオ（エクスポージャー加重）: Sample lender (JPY, 2026-03-31; "
                  "made-up amounts of the generated sample (not a bank's figures))", 11, bold=True)
        flow.table(Block("table", columns=["調達地域", "産品", "リスク", "影響の重要度",
                                           "依存の重要度", "「中」以上の指標"],
                         rows=[["A", "coffee", "高", "高", "高", LONG_JA]] * 3))
        flow.text("評価済みの調達地域をもつ企業へのエクスポージャーで各企業の統合指標を加重平均した値。"
                  "フットプリントは企業自身の値であり、銀行への帰属計算はしていません。" * 2, 7)
        flow.close()
        seen = ""
        for fig in pages.figs:
            boxes = _boxes(fig)
            for text, (x0, _, x1, _) in boxes:
                assert x0 >= LEFT * PT_W - 0.5 and x1 <= (1 - LEFT) * PT_W + 0.5, text
            for i, (a, ba) in enumerate(boxes):
                for b, bb in boxes[i + 1:]:
                    ix = min(ba[2], bb[2]) - max(ba[0], bb[0])
                    iy = min(ba[3], bb[3]) - max(ba[1], bb[1])
                    assert ix <= 0.5 or iy <= 0.5, f"{a!r} overlaps {b!r}"
            seen += "".join(t for t, _ in boxes)
    assert LONG_JA.replace(" ", "") in seen.replace("\n", "").replace(" ", "")  # nothing cut
    assert "not a bank's figures))" in seen.replace("\n", " ")


def test_map_longitude_in_plain_degrees() -> None:
    """Areas near 107.8° E: the ticks read 107.82, not 0.020 with a "+1.078e2" offset."""
    from matplotlib.figure import Figure

    where = {"lon": 107.83, "lat": 12.69, "bbox": [107.82, 12.68, 107.84, 12.70]}
    triangle = [[107.82, 12.68], [107.84, 12.68], [107.83, 12.70], [107.82, 12.68]]
    area = {"id": "A", "centroid": where, "outline": [triangle]}
    r = SimpleNamespace(mapped_areas=lambda: [(area, where, 17.0)])
    fig = Figure()
    ax = fig.add_subplot()
    nature_pdf._map(ax, r, {"lon": "lon", "lat": "lat", "map": "map"})  # type: ignore[arg-type]  # noqa: SLF001
    FigureCanvasAgg(fig).draw()
    for axis in (ax.xaxis, ax.yaxis):
        assert axis.get_offset_text().get_text() == ""
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert labels and all(float(x) > 10 for x in labels), labels
    vertices: Any = ax.patches[0].get_path().vertices
    drawn = vertices.tolist()  # the polygon, not its bounding box
    assert [107.84, 12.70] not in drawn and [107.83, 12.70] in drawn


def test_outline_is_simplified_bounded_and_in_degrees() -> None:
    """A 2,000-vertex circle with a hole, in UTM 48N: at most ``points`` vertices in lon/lat,
    rings closed, the hole kept."""
    pytest.importorskip("rasterio")
    from junkan.nature.results import outline

    def circle(r: float, n: int) -> list[list[float]]:
        ring = [[800_000 + r * math.cos(2 * math.pi * k / n),
                 1_400_000 + r * math.sin(2 * math.pi * k / n)] for k in range(n)]
        return [*ring, ring[0]]

    geom = {"type": "Polygon", "coordinates": [circle(1000, 2000), circle(300, 500)[::-1]]}
    rings = outline(geom, "EPSG:32648", points=120)
    assert len(rings) == 2 and sum(len(r) for r in rings) <= 120
    assert all(r[0] == r[-1] and len(r) >= 8 for r in rings)
    lons = [p[0] for r in rings for p in r]
    lats = [p[1] for r in rings for p in r]
    assert 107.5 < min(lons) < max(lons) < 108 and 12.5 < min(lats) < max(lats) < 13


def test_pdf_written_with_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0644 under umask 022 like the HTML beside it (mkstemp alone leaves 0600)."""
    from matplotlib.figure import Figure

    monkeypatch.setattr(nature_pdf, "_render", lambda pdf, *a: pdf.savefig(Figure()))
    old = os.umask(0o022)
    try:
        out = nature_pdf.write_pdf(SimpleNamespace(name="x"), {"title": "t"}, "en",  # type: ignore[arg-type]
                                   tmp_path / "r.pdf")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert out.read_bytes().startswith(b"%PDF")
