"""The HTML report helper: escaping, plotly.js once and offline, tables, atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml

import junkan
from junkan.core import report
from junkan.core.report import PLOTLY_JS, Markup, Page, format_number, write_plotly_js

EVIL = "<script>alert('x')</script>"


def _fig(name: str = "a") -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name=name))


def test_text_is_escaped_and_markup_is_kept() -> None:
    page = (Page(EVIL, source=f"{EVIL}.yaml", subtitle=EVIL).heading(EVIL).paragraph(EVIL)
            .bullets([EVIL]).definitions({EVIL: EVIL})
            .table([[EVIL, Markup("<code>{}</code>").format(EVIL)]], columns=[EVIL, "b"]))
    html = page.render()
    assert "<script>alert" not in html
    # title, h1, subtitle, heading, paragraph, item, term, text, column, 2 cells, footer
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 12
    assert "<code>&lt;script&gt;" in html  # a Markup cell is HTML, its arguments escaped
    assert "<title>&lt;script&gt;" in html and "<h1>&lt;script&gt;" in html


def test_a_script_in_a_model_title_is_shown_not_run(tmp_path: Path, small: dict) -> None:
    from junkan import lifecycle

    small["title"] = f"Reuse {EVIL} & more"
    small["scenarios"] = {EVIL: {"set": {}}}
    model = lifecycle.load(text=yaml.safe_dump(small), source=f"{EVIL}.yaml")
    page = lifecycle.compare(model).report(tmp_path / "r")
    html = page.read_text(encoding="utf-8")
    assert "<h1>Reuse &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</h1>" in html
    # the only scripts: plotly.js, the missing-file check and one newPlot per chart
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert all(s == "" or "Plotly" in s for s in scripts), scripts
    assert "<script>alert" not in html  # in chart data it is JSON with \u003c escapes
    assert r"\u003cscript\u003ealert('x')" in html


def test_plotly_js_once_beside_the_page_and_offline(tmp_path: Path) -> None:
    page = Page("Charts", source="m.yaml")
    for i in range(3):
        page.figure(_fig(str(i)))
    path = page.write(tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.count(f'<script src="{PLOTLY_JS}"></script>') == 1
    assert html.count("Plotly.newPlot(") == 3
    assert len(html) < 100_000  # plotly.js referenced, not inlined
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    js = (tmp_path / "out" / PLOTLY_JS).read_bytes()
    assert js == report.plotly_js() and len(js) > 1_000_000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [PLOTLY_JS, "report.html"]


def test_a_page_without_charts_needs_no_plotly(tmp_path: Path) -> None:
    path = Page("Text only").paragraph("hello").write(tmp_path / "p.html")
    assert "<script" not in path.read_text(encoding="utf-8")
    assert not (tmp_path / PLOTLY_JS).exists()


def test_plotly_js_is_written_once_per_folder_and_repaired(tmp_path: Path) -> None:
    target = write_plotly_js(tmp_path)
    os.utime(target, (1, 1))
    Page("two").figure(_fig()).write(tmp_path / "two.html")
    assert target.stat().st_mtime == 1  # already there, identical: left alone
    target.write_bytes(b"truncated")
    write_plotly_js(tmp_path)
    assert target.read_bytes() == report.plotly_js()


def test_header_and_footer_name_source_and_version() -> None:
    html = Page("T", lang="ja", source=Path("examples/atm_reuse.yaml")).render()
    assert '<html lang="ja">' in html
    footer = html[html.index("<footer"):]
    assert f"junkan {junkan.__version__}" in footer and "examples/atm_reuse.yaml" in footer
    assert "<style>" in html and "td.num" in html  # the one stylesheet, inline


def test_tables_from_frames_and_rows() -> None:
    frame = pd.DataFrame({"t": [1234567.8, np.nan], "n": [np.int64(3), np.int64(40_000)],
                          "share": ["65 %", "high"]}, index=pd.Index(["A", "B"], name="case"))
    html = Page("T").table(frame, index=True, row_header=0, caption="Figures").render()
    assert "<caption>Figures</caption>" in html
    assert '<th scope="col">case</th><th scope="col">t</th>' in html
    assert ('<tr><th scope="row">A</th><td class="num">1,234,568</td><td class="num">3</td>'
            '<td class="num">65 %</td></tr>') in html
    assert '<th scope="row">B</th><td class="num">—</td><td class="num">40,000</td>' \
           '<td>high</td>' in html
    html = Page("T").table([["x", "1.5 t"]], columns=["k", "v"], numeric=[1]).render()
    assert '<td>x</td><td class="num">1.5 t</td>' in html
    with pytest.raises(ValueError, match="row 0 has 1 cells for 2 columns"):
        Page("T").table([["x"]], columns=["k", "v"])
    with pytest.raises(ValueError, match="column names"):
        Page("T").table([["x"]])


def test_number_format() -> None:
    assert [format_number(v) for v in (0.000123456, 12.5, 9999.4, 12345.6, 7, None, "a")] == \
        ["0.0001235", "12.5", "9,999", "12,346", "7", "—", "a"]


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.html"
    Page("old").write(path)

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        Page("new").write(path)
    assert "<h1>old</h1>" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]  # no temporary file left


def test_written_page_is_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = Page("T").write(tmp_path / "p.html")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_templates_are_package_data() -> None:
    from importlib import resources

    folder = resources.files("junkan.core") / "templates"
    assert (folder / "page.html.j2").is_file() and (folder / "report.css").is_file()
