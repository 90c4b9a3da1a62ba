"""Issue 16, part 2, in a real browser: the model workspace (search, one-click examples, editing
with live validation, versions and diff, sharing, deleting), saving a run as a scenario, the value
network's mass-proportional Sankey with its legend, long work with cancel, the network map's legs
and legend, and the foresight tree without branch years."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.web.conftest import grant_scrap_composition, plotted, require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect


def _open(page, server: str, name: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server)
    page.get_by_role("link", name=name, exact=True).first.click()
    page.get_by_role("heading", name="Value network").wait_for()
    page.locator("#network .main-svg").first.wait_for()


def test_search_example_edit_versions_share_delete(page, server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server)
    page.get_by_label("Search models (name or title)").fill("magnet")
    expect(page.locator("#models-table tbody tr")).to_have_count(1)
    expect(page.locator("#models-table")).to_contain_text("compressor_magnet")
    page.get_by_label("Search models (name or title)").fill("")
    expect(page.get_by_role("link", name="atm_reuse", exact=True)).to_have_count(1)
    # one click: a copy of the shipped example becomes a new model, opened at once
    page.get_by_role("button", name="ATM part reuse (seed 003, case II)").click()
    page.get_by_role("heading", name="Value network").wait_for()
    model_url = page.url
    page.get_by_text("Versions, sharing and the document").click()
    doc = page.get_by_label("Document: checked as you type")
    text = doc.input_value()
    assert text.startswith("#") and "improvement_2" in text
    # live validation names the field; fixing it clears the error
    doc.fill(text.replace("rate: 0.9", "rate: 9"))
    expect(page.locator("#doc-errors")).to_contain_text("products.atm.eol.collection.rate",
                                                        timeout=30_000)
    doc.fill(text.replace("rate: 0.9", "rate: 0.85"))
    expect(page.locator("#doc-status")).to_contain_text("Valid: 4 scenarios", timeout=30_000)
    expect(page.locator("#doc-errors li")).to_have_count(0)
    page.get_by_label("What changed (comment for the version history)").fill("collection 85 %")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#versions-table tbody tr")).to_have_count(2, timeout=30_000)
    expect(page.locator("#versions-table")).to_contain_text("collection 85 %")
    assert page.locator("#workspace").get_attribute("open") is not None  # stays open
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator("#diff-summary")).to_contain_text("v1 → v2: 1 lines added, 1 removed")
    expect(page.locator("#diff .add")).to_contain_text("rate: 0.85")
    expect(page.locator("#diff .del")).to_contain_text("rate: 0.9")
    assert page.locator("#model-download").get_attribute("href").endswith("version=2")
    # share with the partner, then withdraw; an unknown organisation is named in the error
    page.get_by_label("Share with organisation (its exact name)").fill("Nobody Ltd")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#share-errors")).to_contain_text("No organisation named Nobody Ltd")
    page.get_by_label("Share with organisation (its exact name)").fill("Partner Recycling")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#shares-list")).to_contain_text("Partner Recycling")
    page.get_by_role("button", name="Stop sharing Partner Recycling").click()
    expect(page.locator("#shares-list")).to_contain_text("Not shared")
    # delete (confirmed): back on the list, the copy is gone, the seeded model stays
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete this model").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    expect(page.get_by_role("link", name="atm_reuse", exact=True)).to_have_count(1)
    page.goto(model_url)
    expect(page.locator("#model-errors")).to_contain_text("does not exist")


def test_save_a_run_as_a_scenario(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, server, "atm_reuse")
    page.get_by_label("Scenario", exact=True).select_option("improvement_1")
    rate = page.get_by_label("products.atm.eol.collection.rate")
    rate.fill("0.75")
    expect(page.locator("#edits")).to_contain_text("products.atm.eol.collection.rate: 0.6 → 0.75")
    assert "edited" in page.locator(".param", has=rate).get_attribute("class")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-status")).to_have_text("Done.", timeout=60_000)
    expect(page.locator("#result-header")).to_contain_text(" · run ")  # when it ran
    page.get_by_label("Scenario name (letters, digits, _)").fill("partner_75")
    page.get_by_label("Description", exact=True).fill("Improvement 1 at 75 % collection")
    page.get_by_role("button", name="Save as scenario").click()
    expect(page.locator("#run-status")).to_contain_text("Saved scenario partner_75", timeout=30_000)
    assert page.get_by_label("Scenario", exact=True).input_value() == "partner_75"
    expect(rate).to_have_value("0.75")  # the new scenario's own value: no edit any more
    expect(page.locator("#edits")).to_contain_text("No edits")
    expect(page.get_by_label("parts.bill_unit.recovery.reuse.share")).to_have_value("1")
    # the name is taken now: the error shows beside the form
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-status")).to_have_text("Done.", timeout=60_000)
    page.get_by_label("Scenario name (letters, digits, _)").fill("partner_75")
    page.get_by_role("button", name="Save as scenario").click()
    expect(page.locator("#save-errors")).to_contain_text("already exists")


def test_value_network_widths_are_the_baselines_masses(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, server, "compressor_magnet")
    legend = page.locator("#network-legend")
    expect(legend).to_contain_text("mass flows of scenario baseline", timeout=60_000)
    expect(legend).to_contain_text("bill of materials")
    links = plotted(page, "network", """d[0].link.source.map((s, i) =>
      [d[0].node.label[s], d[0].node.label[d[0].link.target[i]], d[0].link.value[i]]
      .map((x) => (typeof x === "string" ? x.replaceAll("<br>", " ") : x)))""")
    run_id = page.evaluate("""async () => (await (await fetch('/api/runs')).json())
      .find((r) => r.scenario === 'baseline' && r.status === 'succeeded').id""")
    flows = page.evaluate(
        "async (id) => (await fetch(`/api/runs/${id}/tables/flows?format=json`)).json()", run_id)
    total = sum(f["mass_kg"] for f in flows
                if f["source"] == "Use" and f["target"] == "End-of-life collection") / 1000
    shown = [v for a, b, v in links if a == "Use" and b == "End-of-life collection"]
    assert shown == [pytest.approx(total)] and total > 1000
    widths = {round(v, 6) for _, _, v in links}
    assert len(widths) > 5  # not one width for every link
    colours = page.evaluate("document.getElementById('network').data[0].node.color")
    assert len(set(colours)) >= 4  # materials, parts, products, stages … as the legend says
    assert page.locator("#network-legend li").count() >= 6


def test_network_example_cancel_and_map_legend(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.network.test_plan import SMALL as NETWORK

    sign_in(page, server)
    page.get_by_role("link", name="Network planner").click()
    page.get_by_role("button", name="Solve the shipped example (ELV hulks, Japan)").click()
    expect(page.get_by_role("button", name="Solve", exact=True)).to_be_disabled()
    expect(page.locator("#network-status")).to_contain_text("Solving… ")
    expect(page.locator("#network-progress")).to_be_visible()
    # the best plan so far is drawn while the solve goes on
    page.locator("#network-map .main-svg").first.wait_for(timeout=60_000)
    expect(page.locator("#network-status")).to_contain_text("Solving… ")
    expect(page.locator("#network-summary")).to_contain_text("hubs")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#network-status")).to_have_text("Cancelled.")
    expect(page.get_by_role("button", name="Solve", exact=True)).to_be_enabled()
    assert page.locator("#network-result").is_hidden()
    scenario = tmp_path / "net.yaml"
    scenario.write_text(yaml.safe_dump(NETWORK), encoding="utf-8")
    page.get_by_label("Network scenario (YAML or JSON)").set_input_files(str(scenario))
    page.get_by_role("button", name="Solve", exact=True).click()
    expect(page.locator("#network-summary")).to_contain_text("hubs", timeout=120_000)
    names = plotted(page, "network-map",
                    "d.filter((t) => t.showlegend !== false).map((t) => t.name)")
    assert "collection (truck)" in names and "Hub" in names and "Destination" in names
    assert any(n.startswith("trunk (") for n in names)
    assert page.locator("#network-map .legend").count() == 1
    # a ship trunk ends at the destination's port; a truck delivery leg goes on from there
    legs = plotted(page, "network-map", "d.filter((t) => t.mode === 'lines' && t.legendgroup)"
                   ".map((t) => [t.legendgroup, t.x, t.y])")
    ships = [leg for leg in legs if leg[0] == "trunk-ship"]
    deliveries = [leg for leg in legs if leg[0] == "delivery-truck"]
    assert len(deliveries) == len(ships) > 0
    ship_ends = {(x[1], y[1]) for _, x, y in ships}
    assert all((x[0], y[0]) in ship_ends for _, x, y in deliveries)


def test_foresight_tree_without_branch_years(page, server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server)
    page.get_by_role("link", name="Future scenarios").click()
    expect(page.locator("#fs-status")).to_contain_text("scenarios in", timeout=60_000)
    page.get_by_label("Scenarios", exact=True).fill("300")
    page.get_by_role("button", name="Find scenario groups and branch points").click()
    expect(page.locator("#fs-cancel")).to_be_visible()
    page.locator("#fs-tree .main-svg").first.wait_for(timeout=120_000)
    tree = page.evaluate("""(() => { const d = document.getElementById('fs-tree').data;
      return d.filter((t) => t.mode === 'lines').map((t) => t.x); })()""")
    end = page.evaluate("document.getElementById('fs-tree').data.at(-1).x[0]")
    assert tree and all(x[0] <= x[2] for x in tree)  # every parent left of its children
    assert len({x[0] for x in tree}) > 1  # merges spread out, not stacked on the leaves
    assert all(x[0] < end for x in tree)
    expect(page.locator("#fs-tree-note")).to_contain_text("no branch year")
    # no year scale that undated merges would seem to sit on: ticks only at branch years and
    # the horizon's ends, or no axis when no merge has a year
    visible, ticks = page.evaluate("""(() => { const a = document.getElementById('fs-tree')
      .layout.xaxis; return [a.visible, a.tickvals || null]; })()""")
    assert visible is False or ticks is not None
    # the analysis ran as a server-side job: after a reload it can be reopened
    page.reload()
    expect(page.locator("#fs-earlier-box")).to_be_visible(timeout=30_000)
    page.get_by_label("Reopen an earlier analysis").select_option(index=1)
    expect(page.locator("#fs-status")).to_contain_text("Earlier analysis of 300 scenarios")
    page.locator("#fs-tree .main-svg").first.wait_for(timeout=30_000)


def test_a_lot_link_opens_the_lot(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """The reports' evidence links each claimed lot as #/trace/lots/<lot>."""
    sign_in(page, server)
    page.goto(f"{server}/#/trace/lots/DEMO-BLEND-1")
    expect(page.locator("#tr-lot")).to_have_value("DEMO-BLEND-1")
    page.locator("#tr-breakdown .main-svg").first.wait_for(timeout=30_000)


def test_grant_error_beside_the_form_and_no_stale_granted(page, server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server)
    page.get_by_role("link", name="Lots", exact=True).click()
    grant_scrap_composition(page, "audit")
    # each grant is a request the server answers after a database write: on a loaded
    # machine (the full suite on 2 cores) this took more than the default 15 s once
    expect(page.locator("#tr-grant-status")).to_have_text("Granted.", timeout=45_000)
    page.get_by_label("Grantee").fill("Nobody Ltd")
    page.get_by_role("button", name="Grant", exact=True).click()
    expect(page.locator("#tr-grant-errors li")).to_have_count(1, timeout=45_000)
    expect(page.locator("#tr-grant-status")).to_have_text("")


def test_upload_of_a_model_you_have_is_a_new_version(page, server: str,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    from importlib import resources

    text = (resources.files("junkan.data") / "examples" / "compressor_magnet.yaml").read_text()
    again = tmp_path / "compressor_magnet.yaml"
    edited = text.replace("replacement_rate: 0.02", "replacement_rate: 0.025", 1)
    again.write_text(edited, encoding="utf-8")
    sign_in(page, server)
    rows = page.locator("#models-table tbody tr")
    expect(page.get_by_role("link", name="compressor_magnet", exact=True)).to_have_count(1)
    before = rows.count()
    page.once("dialog", lambda d: d.accept())
    page.get_by_label("Model file (YAML or JSON)").set_input_files(str(again))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_contain_text(
        "Saved as version 2 of compressor_magnet", timeout=30_000)
    expect(rows).to_have_count(before)  # no second, identical row
    # a network scenario sent as a model is named as such, not 15 field errors
    net = tmp_path / "net.yaml"
    net.write_text((resources.files("junkan.data") / "examples" / "network_elv_japan.yaml")
                   .read_text(), encoding="utf-8")
    page.get_by_label("Model file (YAML or JSON)").set_input_files(str(net))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-errors li")).to_have_count(1)
    expect(page.locator("#upload-errors")).to_contain_text("This is a network scenario")
