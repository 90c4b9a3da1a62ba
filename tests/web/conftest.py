"""Browser fixtures: Playwright driving Debian's Chromium (1440×900) against a real server on
loopback, sign-in. A test that fails leaves a screenshot of its page in test-artifacts/ (the
walks over every page keep theirs, passing or not)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from junkan.api.local import local_service
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.db import Settings
from tests.conftest import ROOT

FAILED = pytest.StashKey[bool]()
"""Whether the test's own body failed (its call report), for :func:`page`'s screenshot."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]



def require_browser() -> Any:
    """Call at a browser test module's top: skips the module without Debian's Chromium or
    Playwright (CI must have both); Playwright's sync API."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError("CI must run the browser tests: install Debian's chromium")
        pytest.skip("Debian chromium not installed", allow_module_level=True)
    sync_api = pytest.importorskip("playwright.sync_api")
    # an assertion waits up to 15 s (Playwright's default 5 s is too short on a loaded 2-core
    # CI machine, where a page's answer can take longer without anything being wrong)
    sync_api.expect.set_options(timeout=15_000)
    return sync_api


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("db") / "junkan.db"
    # the pages' first requests must not wait for the workers to start (the suite's default
    # is lazy, tests/conftest.py): the service starts them as deployed, at once
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUNKAN_BUDGET_START", "eager")
        with local_service(Settings(database_url=f"sqlite:///{db}"), seed=True) as url:
            mp.undo()
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (each test gets a fresh context of its own, see
    :func:`page`): launching Chromium with a new profile took ~1.3 s a test on a quiet
    2-core machine, a new context 0.3 s (2026-12-04)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a new browser context: no cookies, storage or cache of an earlier test.
    Its screenshot is kept when the test failed (or never ran its body): a full-page
    screenshot of every test cost Chromium about 0.5 s of CPU each, 9 % of two browser
    suites' CPU (2026-12-05)."""
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = ctx.new_page()
    try:
        yield pg
    finally:
        if request.node.stash.get(FAILED, True):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        ctx.close()


def sign_in(
    page: Any, server: str, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD
) -> None:
    page.goto(f"{server}/#/login")
    sign_in_here(page, email, password)
    page.get_by_role("heading", name="Models", exact=True).wait_for()


def choose_lang(page: Any, lang: str) -> None:
    """Choose the page's language and wait until its catalogue is in use (the html element's
    lang): an action taken at once could be answered first, in the old language, on a loaded
    CI machine."""
    from playwright.sync_api import expect

    page.select_option("#lang", lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def fill_observation(page: Any, species: str, count: str) -> None:
    """Fill in the field survey's observation form (nature page) with ``species`` and
    ``count`` at the sample survey's point (12.68 N, 108.05 E) by N. Surveyor; not saved."""
    page.fill("#ns-species", species)
    page.fill("#ns-count", count)
    page.fill("#ns-lat", "12.68")
    page.fill("#ns-lon", "108.05")
    page.fill("#ns-observer", "N. Surveyor")


def sign_in_here(page: Any, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the sign-in form the open page shows (a page asked for signed out
    shows it in its place); waits for nothing after."""
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def grant_scrap_composition(page: Any, purpose: str) -> None:
    """On the Lots page, grant Partner Recycling the composition of DEMO-SCRAP-1 for
    ``purpose`` until 2099 (the form filled in and sent; waits for nothing after)."""
    page.get_by_label("Grantee").fill("Partner Recycling")
    page.get_by_label("Lots (comma-separated, * for all you made)").fill("DEMO-SCRAP-1")
    page.get_by_label("composition", exact=True).check()
    page.get_by_label("Purpose", exact=True).fill(purpose)
    page.get_by_label("Expires", exact=True).fill("2099-12-31")
    page.get_by_role("button", name="Grant", exact=True).click()


def post_events(page: Any, events: list[dict[str, Any]]) -> None:
    """Record trace ``events`` as the organisation signed in on ``page`` (its session
    cookie), through the API the page itself uses."""
    res = page.request.post(f"{page.url.split('#')[0]}api/trace/events",
                            data={"events": events}, headers={"X-Junkan-CSRF": "1"})
    assert res.status == 200, res.text()


def plotted(page: Any, element_id: str, expression: str = "d") -> Any:
    """Wait until Plotly has drawn traces in ``element_id``, then evaluate ``expression`` on them.

    Pages write their summary text before the chart (a chart may wait on another request), so a
    test that reads ``.data`` right after the text appears can find no chart yet.
    """
    # a function, not an expression: the page's CSP forbids the eval Playwright uses for one
    page.wait_for_function("(id) => (document.getElementById(id).data || []).length > 0",
                           arg=element_id, timeout=30_000)
    return page.evaluate(f"(id) => {{ const d = document.getElementById(id).data; "
                         f"return {expression}; }}", element_id)
