"""Names in the report: Evaluate's dependencies are ENCORE 2024's services (in Japanese in
the Japanese report), and the HTML page's plotly notice speaks the page's language."""

from __future__ import annotations

import re
from importlib import resources

import plotly.graph_objects as go
import yaml

from junkan.core.report import Page
from junkan.nature.results import DEPENDENCIES, service_name


def test_dependencies_are_encore_services_with_japanese_names() -> None:
    encore = yaml.safe_load(
        resources.files("junkan.data").joinpath("nature/encore.yaml").read_text())
    services = {s for names in DEPENDENCIES.values() for s in names}
    assert {"coffee", "rubber"} <= set(DEPENDENCIES)
    for s in services:  # ENCORE's spelling (encore.yaml's dependency columns), not "soil quality"
        assert service_name(s, "en") in encore["dependency_columns"], s
        ja = service_name(s, "ja")
        assert not re.search(r"[A-Za-z]", ja) and ja != service_name(s, "en"), (s, ja)


def test_plotly_notice_in_the_page_language() -> None:
    def notice(lang: str) -> str:
        html = Page("t", lang=lang).figure(go.Figure()).render()
        return re.search(r'id="plotly-missing"[^>]*>(.*?)</p>', html, re.S).group(1)  # type: ignore[union-attr]

    assert "need the file" in notice("en")
    ja = notice("ja")
    assert "必要" in ja and "need" not in ja
