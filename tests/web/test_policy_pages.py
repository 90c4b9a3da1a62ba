"""The policy pages (issue 24, item 7) in a real browser: "Municipality" diagnoses the shipped
sample (the cards, peers, potential and proposals are the service's own figures; another figure
by keyboard; the council report downloads; the form checked before sending), "Reports" computes
the periodic report of the shipped plan for the signed-in maker with its CSV and page, and
assembles the disclosure pack with its inline XBRL, "Solar panels" reads and writes the registry
the service keeps (a model and an installation registered, a handover and a treatment report
made, the owner's and the certified recycler's views with exactly their columns). Each page also
reads in Japanese without English messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.web.conftest import choose_lang, require_browser, sign_in
from tests.web.test_capability_pages import chart
from tests.web.test_screens import _check

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

H = {"X-Junkan-CSRF": "1"}
EXAMPLES = ROOT / "src" / "junkan" / "web" / "static" / "examples"


def _post(page: Any, server: str, path: str, body: Any) -> dict[str, Any]:
    res = page.request.post(f"{server}{path}", data=body, headers=H, timeout=120_000)
    assert res.ok, res.text()
    out: dict[str, Any] = res.json()
    return out


def test_municipality_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.get_by_role("link", name="Municipality", exact=True).click()
    expect(page).to_have_title("Municipality — junkan")
    expect(page.locator("#mu-code option")).to_have_count(8)
    expect(page.locator("#mu-code")).to_have_value("99201")
    page.evaluate("document.getElementById('mu-form').noValidate = true")
    page.fill("#mu-quantile", "2")
    page.click("#mu-run")
    expect(page.locator("#mu-errors")).to_contain_text("from 0.5 to 0.95")
    page.fill("#mu-quantile", "0.75")
    page.select_option("#mu-code", "99202")
    page.click("#mu-run")
    rows = page.locator("#mu-proposals tbody tr")
    rows.first.wait_for(timeout=180_000)
    doc = json.loads((EXAMPLES / "policy_diagnosis.json").read_text("utf-8"))
    ref = _post(
        page,
        server,
        "/api/policy/diagnose?lang=en",
        {"document": json.dumps({**doc, "municipality": "99202", "quantile": 0.75})},
    )
    expect(rows).to_have_count(len(ref["proposals"]))
    expect(rows.first.locator("td").first).to_have_text(ref["proposals"][0]["en"])
    expect(page.locator("#mu-result-title")).to_contain_text("架空市い (99202)")
    rank = ref["ranks"]["recycling_rate"]
    peers = chart(page, "mu-peers-chart")
    assert (
        peers["title"]
        == f"Recycling rate: rank {rank['rank']} of {rank['of']} among peers of similar size"
    )
    assert len(peers["traces"][0]["x"]) == len(ref["peers"])
    card = page.locator("#mu-cards .card").nth(2)
    expect(card).to_contain_text(f"rank {rank['rank']} of {rank['of']}")
    pot = chart(page, "mu-potential-chart")
    assert pot["traces"][0]["y"] == [p["own_kg_per_person_year"] for p in ref["potential"]]
    assert pot["traces"][0]["x"][0] == "paper"
    prop = chart(page, "mu-proposals-chart")
    assert prop["traces"][0]["x"] == [p["co2e_reduction_t"] for p in ref["proposals"]]
    # another figure by keyboard
    page.focus("#mu-metric")
    page.keyboard.press("Home")
    g = ref["ranks"]["generation_g_per_person_day"]
    assert chart(page, "mu-peers-chart")["title"].startswith(
        f"Waste per person and day [g]: rank {g['rank']} of {g['of']}"
    )
    page.click("#mu-report")
    expect(page.locator("#mu-report-link")).to_be_visible(timeout=120_000)
    with page.expect_download() as dl:
        page.click("#mu-report-link")
    assert "<html" in Path(dl.value.path()).read_text("utf-8").lower()
    choose_lang(page, "ja")
    expect(page.locator("#mu-title")).to_have_text("自治体: サーキュラーエコノミー診断")
    expect(rows.first.locator("td").first).to_have_text(ref["proposals"][0]["ja"])
    assert chart(page, "mu-potential-chart")["traces"][0]["x"][0] == "紙類"
    _check(page, "ja", "municipality", errors)


def test_municipality_page_reads_a_shift_jis_survey(page: Any, server: str, tmp_path: Path) -> None:
    """A survey saved by Excel on Japanese Windows (Shift_JIS) lists its municipalities by their
    Japanese names, as the UTF-8 one does; a file in neither encoding is refused by name."""
    from junkan import policy

    text = policy.sample_path().read_text(encoding="utf-8")
    (tmp_path / "survey.csv").write_bytes(text.encode("cp932"))
    (tmp_path / "binary.csv").write_bytes(b"\x80\xff\xfe\x00" * 10)
    sign_in(page, server)
    page.get_by_role("link", name="Municipality", exact=True).click()
    expect(page.locator("#mu-code option")).to_have_count(8)
    page.set_input_files("#mu-survey", str(tmp_path / "survey.csv"))
    expect(page.locator("#mu-code option").first).to_contain_text("架空市")
    expect(page.locator("#mu-errors")).to_be_empty()
    page.set_input_files("#mu-survey", str(tmp_path / "binary.csv"))
    expect(page.locator("#mu-errors")).to_contain_text("binary.csv is neither UTF-8 nor Shift_JIS")
    # the service's problem in a line of the table, said in Japanese: "2 行目 › 総人口", not
    # "line 2.総人口"
    (tmp_path / "bad.csv").write_text(text.replace(",架空市あ,62000,", ",架空市あ,0,", 1), "utf-8")
    page.set_input_files("#mu-survey", str(tmp_path / "bad.csv"))
    choose_lang(page, "ja")  # in use before the run (its answer came first once, in English)
    page.click("#mu-run")
    # led by the table it is in (the request also carries the diagnosis and may carry the
    # industry table), and said beside the survey's field
    expect(page.locator("#mu-errors")).to_contain_text("実態調査の表 › 2 行目 › 総人口",
                                                       timeout=60_000)
    expect(page.locator("#mu-errors")).not_to_contain_text("line 2")
    expect(page.locator("#mu-survey-problem")).to_contain_text("総人口")
    expect(page.locator("#mu-survey")).to_have_attribute("aria-invalid", "true")


def test_municipality_page_compares_with_the_listed_peers(page: Any, server: str) -> None:
    """Peer codes typed on the page: a code not in the survey is said beside the field before
    anything is sent, in the page's language; the peers listed (a town of another size class
    among them) are those the diagnosis compares with, and the page says so."""
    sign_in(page, server)
    page.goto(f"{server}/#/municipality")
    expect(page.locator("#mu-code")).to_have_value("99201")
    page.fill("#mu-peer-codes", "99306, 99999")
    page.click("#mu-run")
    expect(page.locator("#mu-peer-codes-problem")).to_have_text(
        "Not a municipality of the survey table: 99999. Give the 5-digit codes of the "
        "municipalities listed under Municipality.")
    expect(page.locator("#mu-peer-codes")).to_have_attribute("aria-invalid", "true")
    choose_lang(page, "ja")
    problem = page.locator("#mu-peer-codes-problem")
    expect(problem).to_contain_text("調査表にない団体コードです: 99999")
    # one the service refuses (a code given twice): said beside the field too
    page.fill("#mu-peer-codes", "99202、99202")
    expect(problem).to_have_count(0)
    page.click("#mu-run")
    expect(problem).to_contain_text("コード 99202 は peers.codes[0] と重複しています",
                                    timeout=60_000)
    page.fill("#mu-peer-codes", "９９３０６ 99202")  # full-width digits, as an IME types them
    expect(problem).to_have_count(0)
    page.click("#mu-run")
    listed = "架空市い (99202), 架空町か (99306)"  # in the survey's order
    expect(page.locator("#mu-summary")).to_contain_text(f"指定した類似団体（{listed}）と比較",
                                                       timeout=120_000)
    expect(page.locator("#mu-peers tbody tr")).to_have_count(3)
    assert "指定した類似団体 3 団体中" in chart(page, "mu-peers-chart")["title"]
    choose_lang(page, "en")
    summary = page.locator("#mu-summary")
    expect(summary).to_contain_text(f"compared with the listed peers: {listed}.")
    expect(page.locator("#mu-peers")).to_have_attribute("aria-label", "The listed peers")
    assert chart(page, "mu-peers-chart")["title"].endswith("of 3 among the listed peers")


def test_reports_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page).to_have_title("Reports — junkan")
    expect(page.locator("#rp-plan")).not_to_have_value("")
    plan = json.loads(page.input_value("#rp-plan"))
    assert plan["maker"] == "Demo Manufacturing"
    page.evaluate("document.getElementById('rp-form').noValidate = true")
    page.fill("#rp-period", "FY28")
    page.click("#rp-run")
    expect(page.locator("#rp-errors")).to_contain_text("Period: FY followed by the year")
    page.fill("#rp-period", "FY2028")
    # a plan of another maker is refused by the service, beside the form
    page.fill("#rp-plan", json.dumps({**plan, "maker": "someone-else"}))
    page.click("#rp-run")
    expect(page.locator("#rp-errors")).to_contain_text("must be your organisation", timeout=120_000)
    page.fill("#rp-plan", json.dumps(plan))
    page.click("#rp-run")
    rows = page.locator("#rp-table tbody tr")
    rows.first.wait_for(timeout=180_000)
    ref = page.request.post(
        f"{server}/api/policy/reports?period=FY2028&lang=en",
        data=json.dumps(plan),
        headers={**H, "Content-Type": "application/json"},
        timeout=120_000,
    ).json()
    expect(rows).to_have_count(len(ref["products"]))
    short = [p for p in ref["products"] if (p["gap_points"] or 0) > 0]
    expect(page.locator("#rp-summary")).to_contain_text(f"{len(short)} below plan")
    expect(page.locator("#rp-table")).to_contain_text("30 points below the planned 30 %")
    with page.expect_download() as dl:
        page.click("#rp-csv")
    csv_bytes = Path(dl.value.path()).read_bytes()  # a BOM for Excel on Japanese Windows
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and b"bottle-PET" in csv_bytes
    # the evidence: one link per claimed lot (none in the demo's ledger for FY2028)
    claimed = [c["lot"] for cs in ref["evidence"].values() for c in cs]
    expect(page.locator("#rp-evidence a")).to_have_count(len(claimed))
    assert page.locator("#rp-evidence-box").is_hidden() == (not claimed)
    # the disclosure pack
    page.click("#dp-run")
    tables = page.locator("#dp-tables table")
    expect(tables).to_have_count(3, timeout=180_000)
    expect(tables.first.locator("tbody tr").first).to_contain_text("Total material inflow")
    expect(tables.first.locator("tbody tr").first).to_contain_text("1,000 t")
    with page.expect_download() as dl:
        page.click("#dp-xhtml")
    assert "ix:nonFraction" in Path(dl.value.path()).read_text("utf-8")
    choose_lang(page, "ja")
    expect(page.locator("#rp-title")).to_have_text("報告: 再生材利用の定期報告と開示パック")
    expect(page.locator("#rp-table")).to_contain_text("期間中の記録なし")
    _check(page, "ja", "reports", errors)


def _sign_in_as(page: Any, server: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, email, password)


# the columns each role of the caller's organisation brings (the service's rule; the owner, who
# registered the model too, sees everything of its installation)
OWNER_COLUMNS = [
    "Installation",
    "Municipality",
    "Owner",
    "Address",
    "Model",
    "Panels",
    "End of business",
    "Mass [t]",
    "Hazardous substances",
    "Handed over",
    "Treatment reported",
    "Collected / treated",
    "Status",
    "Your role",
]
RECYCLER_COLUMNS = [
    "Installation",
    "Municipality",
    "Address",
    "Model",
    "Handed over",
    "Treatment reported",
    "Your role",
]


@pytest.fixture
def operator(server: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The operator's hand on the registry of the page's server (``junkan policy solar-role``):
    its SQLite file is the newest the ``server`` fixture made in this process."""
    from junkan.store.db import Database
    from junkan.store.policy_repo import SolarRepo

    dbs = tmp_path_factory.getbasetemp().glob("db[0-9]*/junkan.db")
    newest = max(dbs, key=lambda p: int(p.parent.name[2:]))
    return SolarRepo(Database(f"sqlite:///{newest}"))


def test_solar_page(page: Any, server: str, operator: Any) -> None:
    """The page reads and writes the registry the service keeps: a model and an installation
    registered through the forms, the owner's view, the owner's handover to a recycler, and
    the certified recycler's view of the same installation with exactly its columns and its
    treatment report, all through the page."""
    from junkan.api.seed import PARTNER_EMAIL, PARTNER_PASSWORD

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.get_by_role("link", name="Solar panels", exact=True).click()
    expect(page).to_have_title("Solar panels — junkan")
    expect(page.locator("#so-granted")).to_contain_text("No role granted by an operator")
    expect(page.locator("#so-summary")).to_contain_text("0 installations visible", timeout=60_000)
    # a panel model, first with a line the page refuses before sending
    page.locator("#so-add-model summary").click()
    page.fill("#so-m-name", "PV-A")
    page.fill("#so-m-mass", "20")
    page.fill("#so-m-glass", "75")
    page.fill("#so-m-subst", "Hg, frame, 1")
    page.click("#so-m-run")
    expect(page.locator("#so-m-errors")).to_contain_text("line 1")
    page.fill("#so-m-subst", "Pb, solder ribbon, 0.2")
    # the service's refusal names the form's field and its limit as typed (%), not
    # "glass_share: must be at most 1"
    # (past the page's own check of the field, formcheck.js, which says it before sending)
    page.evaluate("document.getElementById('so-model-form').removeAttribute('data-check')")
    page.fill("#so-m-glass", "150")
    page.click("#so-m-run")
    expect(page.locator("#so-m-errors")).to_have_text(
        "Glass share [%]: must be between 0 and 100 %, got 150 %")
    page.fill("#so-m-glass", "75")
    page.click("#so-m-run")
    expect(page.locator("#so-m-status")).to_have_text("Model PV-A registered.", timeout=60_000)
    expect(page.locator("#so-models tbody tr")).to_have_count(1, timeout=60_000)
    # an installation of it (the maker field starts as the user's organisation)
    page.locator("#so-add-inst summary").click()
    expect(page.locator("#so-i-maker")).to_have_value("Demo Manufacturing")
    for sel, v in (
        ("#so-i-name", "roof-1"),
        ("#so-i-model", "PV-A"),
        ("#so-i-code", "13101"),
        ("#so-i-address", "Chiyoda 1-1"),
        ("#so-i-count", "100"),
        ("#so-i-start", "2010-06-01"),
        ("#so-i-eob", "2029-06-30"),
    ):
        page.fill(sel, v)
    page.click("#so-i-run")
    expect(page.locator("#so-i-status")).to_have_text(
        "Installation roof-1 registered.", timeout=60_000
    )
    page.fill("#so-date", "2030-04-01")
    page.click("#so-run")
    expect(page.locator("#so-summary")).to_contain_text(
        "as of 2030-04-01: 1 installations", timeout=60_000
    )
    ref = page.request.get(f"{server}/api/policy/solar/registry?as_of=2030-04-01").json()
    inst = ref["installations"][0]
    assert inst["roles"] == ["maker", "owner"] and inst["status"] == "overdue"
    expect(page.locator("#so-installations thead th")).to_have_text(OWNER_COLUMNS)
    expect(page.locator("#so-installations tbody tr")).to_have_count(1)
    expect(page.locator("#so-cards .card").first).to_contain_text("1")  # overdue
    expect(page.locator("#so-models")).to_contain_text("Pb 0.2 wt% (solder ribbon) ⚠")
    vol = chart(page, "so-volumes-chart")
    assert vol["traces"][0]["x"] == ["2029"] and vol["traces"][0]["y"] == [pytest.approx(2.0)]
    # the owner hands the panels to a recycler through the page; no treatment form for it
    expect(page.locator("#so-treat")).to_be_hidden()
    page.locator("#so-hand summary").click()
    expect(page.locator("#so-h-inst option")).to_have_text(["roof-1 (13101)"])
    page.fill("#so-h-to", "Partner Recycling")
    page.select_option("#so-h-role", "recycler")
    page.fill("#so-h-count", "100")
    page.fill("#so-h-date", "2026-05-01")
    page.click("#so-h-run")
    expect(page.locator("#so-h-status")).to_have_text(
        "100 panels of roof-1 (13101) handed over to Partner Recycling.", timeout=60_000
    )
    # the recycler, once an operator registered its certificate, reports the treatment
    operator.grant_role("Partner Recycling", "certified_recycler", "P-1")
    _sign_in_as(page, server, PARTNER_EMAIL, PARTNER_PASSWORD)
    page.get_by_role("link", name="Solar panels", exact=True).click()
    expect(page.locator("#so-summary")).to_contain_text("1 installations visible", timeout=60_000)
    expect(page.locator("#so-hand")).to_be_hidden()
    page.select_option("#so-as", "recycler")
    expect(page.locator("#so-installations thead th")).to_have_text(RECYCLER_COLUMNS)
    expect(page.locator("#so-installations tbody tr")).to_contain_text("Demo Manufacturing")
    page.locator("#so-treat summary").click()
    for sel, v in (
        ("#so-t-count", "100"),
        ("#so-t-date", "2026-06-01"),
        ("#so-t-method", "hot-knife glass separation"),
        ("#so-t-recovered", "glass, 1500\naluminium, 180"),
        ("#so-t-disposed", "100"),
    ):
        page.fill(sel, v)
    page.click("#so-t-run")
    expect(page.locator("#so-t-status")).to_have_text(
        "Treatment of 100 panels of roof-1 (13101) reported.", timeout=60_000
    )
    expect(page.locator("#so-installations tbody tr")).to_contain_text(
        "100 · 2026-06-01: hot-knife glass separation"
    )
    page.select_option("#so-as", "maker")
    expect(page.locator("#so-installations tbody tr")).to_have_count(0)
    page.select_option("#so-as", "")
    choose_lang(page, "ja")
    expect(page.locator("#so-title")).to_have_text("太陽光パネル: 自組織から見た登録情報")
    expect(page.locator("#so-installations thead th").first).to_have_text("設備")
    expect(page.locator("#so-treat summary")).to_have_text(
        "引き渡されたパネルの処理を報告 (認定リサイクル業者)"
    )
    _check(page, "ja", "solar", errors)
