"""The Nature and Vision pages (issues 21 and 23) in a real browser, end to end: the Nature page
runs the sample scene as a job (the table, the TNFD chart with error bars, the responsiveness
chart, the confusion matrix all match the job's own result), checks the form before sending,
classifies, and stops a job on the server when cancelled; the Vision page sends a model trained
on rendered belt images with two images and draws each piece's box (as many as the job found),
the per-class table and the interval charts; a file that is not a model is refused beside the
form. Both pages read in Japanese without English messages. The survey opens offline through
its service worker, sends a photo with its observation and edits a synced one."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.nature.test_photo import _image
from tests.web.conftest import choose_lang, fill_observation, require_browser, sign_in
from tests.web.test_capability_pages import chart
from tests.web.test_screens import _check

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

SHAPES = "(id) => (document.getElementById(id).layout.shapes || []).length"
ANNOTATIONS = "(id) => (document.getElementById(id).layout.annotations || []).map((a) => a.text)"


def _job(page: Any, server: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a job through the API (signed in as the page's user) and wait for its result."""
    h = {"X-Junkan-CSRF": "1"}
    if body is not None:
        doc = page.request.post(f"{server}{path}", data=body, headers=h).json()
        path = f"{path.split('?')[0]}/{doc['id']}"
    for _ in range(600):
        doc = page.request.get(f"{server}{path}", headers=h).json()
        if doc["status"] not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert doc["status"] == "succeeded", doc
    return dict(doc["result"])


def test_nature_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}"))
    sign_in(page, server)
    page.get_by_role("link", name="Nature", exact=True).click()
    expect(page).to_have_title("Nature — junkan")
    # checked before sending (past the browser's own check of the field)
    page.evaluate("document.getElementById('nt-form').noValidate = true")
    page.fill("#nt-size", "50")
    page.click("#nt-run")
    expect(page.locator("#nt-errors")).to_contain_text("Sample scene size")
    assert not any("/api/nature/jobs" in s for s in sent)
    # a cancelled job is stopped on the server
    page.fill("#nt-size", "600")
    page.click("#nt-run")
    expect(page.locator("#nt-cancel")).to_be_visible()
    page.wait_for_timeout(700)
    # stopped on the server even when the start is not answered yet (review 260: the job
    # was left running, holding a worker place, when Cancel came before the answer)
    with page.expect_request(lambda r: r.method == "DELETE" and "/api/nature/jobs/" in r.url):
        page.click("#nt-cancel")
    expect(page.locator("#nt-status")).to_have_text("Cancelled.")
    expect(page.locator("#nt-run")).to_be_enabled()
    # the assessment, by keyboard from the size field; its first area made partly covered
    # (as partial_areas: clip leaves it) in the answer, to see the page say so
    cover = {"polygon_km2": 2.0, "covered_km2": 1.5, "covered_share": 0.75, "note": "clip"}

    def partly_covered(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        resp = route.fetch()
        doc = resp.json()
        if doc.get("status") == "succeeded" and (doc.get("result") or {}).get("areas"):
            doc["result"]["areas"][0]["coverage"] = cover
        route.fulfill(response=resp, json=doc)

    page.route("**/api/nature/jobs/*", partly_covered)
    page.fill("#nt-size", "80")
    page.focus("#nt-size")
    page.keyboard.press("Enter")
    rows = page.locator("#nt-areas tbody tr")
    rows.first.wait_for(timeout=180_000)
    ref = _job(page, server, "/api/nature/jobs?kind=assess", {"sample": {"size": 80, "seed": 0}})
    expect(rows).to_have_count(len(ref["areas"]))
    a0 = ref["areas"][0]
    expect(rows.first.locator("td").first).to_have_text(a0["id"])
    c10 = f"{a0['C1.0']['value_km2']:.4g}"
    expect(rows.first.locator("td").nth(5)).to_contain_text(c10.rstrip("0").rstrip("."))
    # six annual scenes: VCI not rated, and the page says why; the covered share of area 0
    assert a0["drought"]["VCI_status"] == "insufficient history"
    expect(rows.first.locator("td").nth(10)).to_have_text(
        f"not rated: insufficient history ({a0['drought']['VCI_history_years']} yr)"
    )
    expect(page.locator("#nt-coverage li")).to_have_count(1)
    expect(page.locator("#nt-coverage")).to_contain_text(f"Area {a0['id']}: the scenes cover 75")
    page.unroute("**/api/nature/jobs/*")
    # the map: each area's box and its centroid, where the job's result puts them
    mp = chart(page, "nt-map")
    assert mp["x"] == "Longitude (°)" and mp["n"] == len(ref["areas"]) + 1
    dots = mp["traces"][-1]
    assert dots["x"] == pytest.approx([a["centroid"]["lon"] for a in ref["areas"]])
    assert dots["y"] == pytest.approx([a["centroid"]["lat"] for a in ref["areas"]])
    w, s_, e, n = ref["areas"][0]["centroid"]["bbox"]  # the outline when the result has one
    ring = (ref["areas"][0].get("outline") or [[[w, s_], [e, s_], [e, n], [w, n], [w, s_]]])[0]
    assert mp["traces"][0]["x"][: len(ring)] == pytest.approx([p[0] for p in ring])
    assert mp["traces"][0]["y"][: len(ring)] == pytest.approx([p[1] for p in ring])
    trends = chart(page, "nt-trends")  # NDVI per area over the scenes, first trace
    assert trends["traces"][0]["y"] == pytest.approx([x["NDVI"] for x in a0["scenes"]])
    tnfd = chart(page, "nt-tnfd")
    assert [tr["name"] for tr in tnfd["traces"]] == [
        "C1.0 total spatial footprint",
        "C1.1 extent of land-use change",
    ]
    assert tnfd["traces"][0]["x"] == [a["id"] for a in ref["areas"]]
    resp = chart(page, "nt-resp")
    assert resp["title"].startswith(f"Area {a0['id']}:")
    n_yes = sum(v["annual_monitoring"] for v in a0["responsiveness"].values())
    by_name = {tr["name"]: tr for tr in resp["traces"]}
    assert len(by_name["annual monitoring: yes"]["y"]) == n_yes
    assert len(by_name["annual monitoring: no"]["y"]) == len(a0["responsiveness"]) - n_yes
    expect(page.locator("#nt-resp-table tbody tr")).to_have_count(len(a0["responsiveness"]))
    # another area by keyboard
    page.focus("#nt-area")
    page.keyboard.press("End")
    last = ref["areas"][-1]["id"]
    expect(page.locator("#nt-area")).to_have_value(last)
    assert chart(page, "nt-resp")["title"].startswith(f"Area {last}:")
    conf = chart(page, "nt-confusion")
    cells = page.evaluate(ANNOTATIONS, "nt-confusion")
    assert cells == [str(v) for row in ref["classifier"]["confusion"] for v in row]
    assert conf["x"] == "Predicted class" and conf["y"] == "Reference class"
    acc = ref["classifier"]["accuracy"] * 100
    expect(page.locator("#nt-cls-summary")).to_contain_text(f"{acc:.3g} %")
    # Japanese: labels, chart titles and tables redrawn, no English message left
    choose_lang(page, "ja")
    expect(page.locator("#nt-title")).to_have_text("自然: 衛星画像による調達地域の評価 (TNFD LEAP)")
    expect(page.get_by_role("link", name="自然", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#nt-areas thead th").first).to_have_text("地域")
    expect(rows.first.locator("td").nth(10)).to_contain_text("評価なし：履歴不足")
    expect(page.locator("#nt-coverage")).to_contain_text(f"地域 {a0['id']}：シーンが覆う")
    assert chart(page, "nt-resp")["title"].startswith(f"地域 {last}:")
    assert chart(page, "nt-confusion")["x"] == "予測クラス"
    _check(page, "ja", "nature", errors)
    # classification only
    choose_lang(page, "en")
    page.check("input[name='nt-kind'][value='classify']")
    page.click("#nt-run")
    expect(page.locator("#nt-result-title")).to_have_text(
        "Land-cover classification of the sample scene", timeout=180_000
    )
    expect(page.locator("#nt-assess")).to_be_hidden()
    chart(page, "nt-confusion")
    expect(page.locator("#nt-errors")).to_be_empty()
    assert not errors, errors


def test_nature_survey_offline(page: Any, server: str) -> None:
    """Observations saved offline stay on the device and are sent when the connection
    returns; an answer lost on the way leaves them queued (also across a reload) and the
    resend duplicates nothing; a conflict with the service's version is shown and resolved
    by the surveyor; then the page opens offline with a photo and an edit (below)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    h = {"X-Junkan-CSRF": "1"}
    api = f"{server}/api/nature/survey"
    sign_in(page, server)
    before = page.request.get(f"{api}/observations", headers=h).json()["total"]
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-checklist option").first).to_be_attached()
    queue = page.locator("#ns-queue tbody tr")

    def record(species: str, count: int) -> None:
        fill_observation(page, species, str(count))
        page.click("#ns-save")
        expect(page.locator("#ns-status")).to_contain_text("device")

    page.context.set_offline(True)
    record("Copsychus saularis", 2)
    record("Apis cerana", 30)
    expect(queue).to_have_count(2)
    expect(page.locator("#ns-status")).to_contain_text("Offline")
    assert page.request.get(f"{api}/observations", headers=h).json()["total"] == before
    # back online, but the service's answer is lost: both stay queued
    lost: list[str] = []

    def drop_answer(route: Any) -> None:
        route.fetch()  # the service stores them ...
        lost.append(route.request.url)
        route.abort()  # ... and the device never hears so

    page.route("**/api/nature/survey/sync", drop_answer)
    with page.expect_event("requestfailed", lambda r: "/survey/sync" in r.url):
        page.context.set_offline(False)  # the "online" event starts a sync
    assert lost and page.request.get(f"{api}/observations", headers=h).json()["total"] == before + 2
    expect(queue).to_have_count(2)
    # the queue is on the device's disk: a reload (answers still lost) shows it again
    with page.expect_event("requestfailed", lambda r: "/survey/sync" in r.url):
        page.reload()
    expect(queue).to_have_count(2)
    page.unroute("**/api/nature/survey/sync")
    page.click("#ns-sync")
    expect(page.locator("#ns-status")).to_contain_text("2 observation(s) confirmed")
    expect(queue).to_have_count(0)
    assert page.request.get(f"{api}/observations", headers=h).json()["total"] == before + 2
    # another device changed an observation this one still holds: a conflict, then "keep mine"
    page.context.set_offline(True)
    record("Dicrurus macrocercus", 1)
    mine = page.evaluate(
        """() => new Promise((ok) => { const r = indexedDB.open('junkan-survey');
        r.onsuccess = () => { const g = r.result.transaction('queue').objectStore('queue').getAll();
        g.onsuccess = () => ok(g.result[0].observation); }; })"""
    )
    other = {"observations": [{"observation": {**mine, "count": 9}}]}
    assert (
        page.request.post(f"{api}/sync", data=other, headers=h).json()["results"][0]["status"]
        == "created"
    )
    page.context.set_offline(False)
    expect(queue.first).to_contain_text("conflict: the service holds version 1 (9 ×")
    queue.first.get_by_role("button", name="Keep mine").click()
    expect(queue).to_have_count(0)
    got = page.request.get(f"{api}/export.csv", headers=h).text()
    row = next(line for line in got.splitlines() if line.startswith(mine["id"]))
    assert ",Dicrurus macrocercus,Black drongo,1," in row
    _offline_start_photo_and_edit(page, server)
    assert not errors, errors


SW_OFFLINE = "() => fetch('/api/health').then(() => 'online', () => 'offline')"


def _offline_start_photo_and_edit(page: Any, server: str) -> None:
    """Once the Nature page was open, its service worker serves the page again offline (a
    reload included); an observation recorded there with a photo waits on the device and,
    back online, is synced with its photo (the same bytes on the service); a file that is
    not an image is refused beside the form whatever its name; a synced observation is edited
    on the page and stored as its next version."""
    h = {"X-Junkan-CSRF": "1"}
    api = f"{server}/api/nature/survey"
    # the page says when it can open offline (its worker may have installed while offline)
    ready = page.locator("#ns-offline-ready")
    expect(ready).to_have_attribute("data-ready", "true", timeout=60_000)
    expect(ready).to_contain_text("without a network")
    page.context.set_offline(True)
    workers = page.context.service_workers
    assert workers and {w.evaluate(SW_OFFLINE) for w in workers} == {"offline"}  # no network there
    page.reload()
    # plotly.js and the rest come from the cache (slowly on a loaded machine)
    expect(page.locator("#ns-title")).to_be_visible(timeout=15_000)
    expect(page.locator("#ns-checklist option").first).to_be_attached()  # the cached checklist
    fill_observation(page, "Pycnonotus jocosus", "2")
    # not an image, whatever its name says: refused before anything is queued
    page.set_input_files(
        "#ns-photo",
        files=[
            {
                "name": "bird.jpg",
                "mimeType": "image/jpeg",
                "buffer": b"<html><script>1</script></html>",
            }
        ],
    )
    page.click("#ns-save")
    expect(page.locator("#ns-errors")).to_contain_text("bird.jpg: not a JPEG, PNG or WebP image")
    queue = page.locator("#ns-queue tbody tr")
    expect(queue).to_have_count(0)
    jpeg = _image("JPEG")
    page.set_input_files(
        "#ns-photo", files=[{"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": jpeg}]
    )
    page.click("#ns-save")
    expect(page.locator("#ns-status")).to_contain_text("Offline")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text("photo waiting")
    # back online: the record and its photo are sent; the device's queue empties
    page.context.set_offline(False)
    expect(queue).to_have_count(0, timeout=15_000)
    expect(page.locator("#ns-status")).to_contain_text("1 observation(s) confirmed")
    listed = page.request.get(f"{api}/observations", headers=h).json()["observations"]
    (one,) = [o for o in listed if o["observation"]["photo"] == "IMG_0001.JPG"]
    oid, when = one["observation"]["id"], one["observation"]["time"]
    assert page.request.get(f"{api}/observations/{oid}/photo", headers=h).body() == jpeg
    # edit the synced record on the page: stored as version 2, the photo kept
    row = page.locator("#ns-list tbody tr", has_text="Pycnonotus jocosus").first
    row.get_by_role("button", name="Edit").click()
    expect(page.locator("#ns-editing")).to_contain_text("version 1")
    expect(page.locator("#ns-count")).to_have_value("2")
    page.fill("#ns-count", "5")
    page.click("#ns-save")
    # the listed row shows the new count and version (columns: species, count, time, area,
    # photo, version): its time or photo link may contain a 5 too, so whole cells are compared
    cells = page.locator("#ns-list tbody tr", has_text="Pycnonotus jocosus").first.locator("td")
    expect(cells.nth(5)).to_have_text("2", timeout=15_000)
    expect(cells.nth(1)).to_have_text("5")
    listed = page.request.get(f"{api}/observations", headers=h).json()["observations"]
    (one,) = [o for o in listed if o["observation"]["id"] == oid]
    assert one["version"] == 2 and one["observation"]["count"] == 5
    assert one["observation"]["time"] == when  # the recorded time and its UTC offset kept
    assert page.request.get(f"{api}/observations/{oid}/photo", headers=h).body() == jpeg


ASK_WORKER = """(refresh) => new Promise((ok) => { const ch = new MessageChannel();
  ch.port1.onmessage = (ev) => ok(ev.data);
  const message = { type: 'offline-ready', refresh };
  navigator.serviceWorker.controller.postMessage(message, [ch.port2]); })"""


def test_nature_survey_worker_says_when_ready(page: Any, server: str) -> None:
    """The page asks its service worker, over a MessageChannel, whether it can open offline
    (the list of API answers it needs is the worker's only): an identity missing from the
    cache makes the answer "not ready" until the worker is asked to fetch it again."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-offline-ready")).to_have_attribute(
        "data-ready", "true", timeout=60_000
    )
    assert page.evaluate(ASK_WORKER, False) == {"ready": True}
    forgot = page.evaluate(
        "() => caches.keys().then((ks) => Promise.all(ks.map((k) => "
        "caches.open(k).then((c) => c.delete('/api/me')))))"
    )
    assert True in forgot
    assert page.evaluate(ASK_WORKER, False) == {"ready": False}
    assert page.evaluate(ASK_WORKER, True) == {"ready": True}  # fetched and kept again
    assert page.evaluate("() => caches.match('/api/me').then((r) => r.json())")["email"]
    assert not errors, errors


SURVEY_JS = Path(__file__).parents[2] / "src" / "junkan" / "web" / "static" / "survey.js"


def test_survey_photo_limit_is_the_services() -> None:
    """The page's photo limit (survey.js, MAX_PHOTO) is the service's (MAX_BYTES): the
    API does not publish it, so the two are compared here."""
    from junkan.nature.photo import MAX_BYTES

    m = re.search(r"^const MAX_PHOTO = ([\d *]+);", SURVEY_JS.read_text("utf-8"), re.M)
    assert m, "survey.js: const MAX_PHOTO = <bytes>;"
    assert math.prod(int(f) for f in m.group(1).split("*")) == MAX_BYTES


def _large_photo(path: Path, width: int, height: int, taken: str) -> Path:
    """A noisy ``width`` × ``height`` PNG (far over 10 MiB: noise does not compress) with an
    EXIF block (eXIf chunk) holding the GPS point 12.68 N, 108.05 E and the time taken."""
    np = pytest.importorskip("numpy")
    image = pytest.importorskip("PIL.Image")
    noise = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    exif = image.Exif()
    exif[0x0132] = taken  # DateTime
    exif[0x8825] = {1: "N", 2: (12.0, 40.0, 48.0), 3: "E", 4: (108.0, 3.0, 0.0)}
    image.fromarray(noise).save(path, "PNG", exif=exif.tobytes(), compress_level=1)
    return path


def test_nature_survey_large_photo(page: Any, server: str, tmp_path: Path) -> None:
    """A photo over the service's 10 MiB limit is made smaller on the device before it is
    saved: a JPEG of at most 10 MiB, its longest side 4096 px or less, with the photo's EXIF
    GPS point and time; the observation is synced with it. A file too large that the
    browser cannot decode is refused beside the photo field, and nothing is queued."""
    from junkan.nature.photo import MAX_BYTES, check_photo

    image = pytest.importorskip("PIL.Image")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    h = {"X-Junkan-CSRF": "1"}
    api = f"{server}/api/nature/survey"
    big = _large_photo(tmp_path / "IMG_4600.png", 4600, 800, "2026:11:30 07:15:00")
    assert big.stat().st_size > MAX_BYTES
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-checklist option").first).to_be_attached()
    queue = page.locator("#ns-queue tbody tr")
    note = page.locator("#ns-photo-note")
    fill_observation(page, "Pycnonotus jocosus", "3")
    # too large and not decodable (a PNG signature, then nothing of an image): said beside
    # the photo field, and on saving; nothing queued
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES + 1))
    page.set_input_files("#ns-photo", str(broken))
    expect(note).to_contain_text("broken.png", timeout=30_000)
    expect(note).to_contain_text("could not make it smaller", timeout=30_000)
    expect(note).to_have_class("error")
    page.click("#ns-save")
    expect(page.locator("#ns-errors")).to_contain_text(
        "broken.png: larger than the service's limit of 10 MB"
    )
    expect(queue).to_have_count(0)
    # the large photo: shrunk as soon as it is picked, the note says to what
    page.set_input_files("#ns-photo", str(big))
    expect(note).to_contain_text("a smaller copy", timeout=60_000)
    expect(note).to_contain_text("EXIF")
    expect(note).to_have_class("note")
    page.click("#ns-save")
    expect(page.locator("#ns-status")).to_contain_text("1 observation(s) confirmed", timeout=60_000)
    expect(queue).to_have_count(0)
    expect(note).to_be_empty()
    listed = page.request.get(f"{api}/observations", headers=h).json()["observations"]
    (one,) = [o for o in listed if o["observation"]["photo"] == "IMG_4600.png"]
    assert one["observation"]["lat"] == 12.68 and one["observation"]["lon"] == 108.05
    oid = one["observation"]["id"]
    data = page.request.get(f"{api}/observations/{oid}/photo", headers=h).body()
    assert 0 < len(data) <= MAX_BYTES
    photo = check_photo(data)
    assert photo.media_type == "image/jpeg"
    # the longest side brought to 4096 px, the other in proportion (800 × 4096 / 4600)
    assert photo.width == 4096 and abs(photo.height - 712) <= 1, (photo.width, photo.height)
    # the photo's own GPS point and time went with it
    assert photo.exif_lat == pytest.approx(12.68, abs=1e-6)
    assert photo.exif_lon == pytest.approx(108.05, abs=1e-6)
    assert one["photo"]["exif_distance_m"] == pytest.approx(0, abs=0.01)
    assert image.open(io.BytesIO(data)).getexif().get(0x0132) == "2026:11:30 07:15:00"
    assert not errors, errors


@pytest.fixture(scope="module")
def belt(
    tmp_path_factory: pytest.TempPathFactory, small_vision_model_file: Path
) -> tuple[Path, list[Path]]:
    """The session's small trained model (its training through the CLI is in
    tests/vision/test_cli.py), and two belt images rendered by `junkan vision render`."""
    tmp = tmp_path_factory.mktemp("belt")
    subprocess.run(
        [sys.executable, "-m", "junkan", "vision", "render", str(tmp / "test"),
         "--images", "2", "--pieces", "25", "--seed", "7"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return small_vision_model_file, sorted((tmp / "test" / "images").glob("*.png"))


def test_vision_page(page: Any, server: str, belt: tuple[Path, list[Path]]) -> None:
    model, images = belt
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.get_by_role("link", name="Vision", exact=True).click()
    expect(page).to_have_title("Vision — junkan")
    # checked before sending: no model, no image
    page.evaluate("document.getElementById('vi-form').noValidate = true")
    page.click("#vi-run")
    expect(page.locator("#vi-errors")).to_contain_text("Choose the model file")
    expect(page.locator("#vi-errors")).to_contain_text("Choose at least one belt image")
    # a file that is not a model: the job's reason beside the form
    page.set_input_files(
        "#vi-model",
        files=[
            {"name": "bad.json", "mimeType": "application/json", "buffer": b'{"not": "a model"}'}
        ],
    )
    page.set_input_files("#vi-images", [str(images[0])])
    page.click("#vi-run")
    expect(page.locator("#vi-errors li")).not_to_have_count(0, timeout=120_000)
    expect(page.locator("#vi-result")).to_be_hidden()
    # the real model on two images
    page.set_input_files("#vi-model", str(model))
    page.set_input_files("#vi-images", [str(p) for p in images])
    page.fill("#vi-scale", "0.8")
    with page.expect_response(re.compile(r"/api/vision/predict$")) as started:
        page.click("#vi-run")
    job_id = started.value.json()["id"]
    belt_chart = chart(page, "vi-belt")
    expect(page.locator("#vi-errors")).to_be_empty()
    ref = _job(page, server, f"/api/vision/jobs/{job_id}")
    im0 = ref["images"][0]
    assert page.evaluate(SHAPES, "vi-belt") == len(im0["pieces"]) > 0
    # each piece drawn as its outline (a closed path through the service's outline points)
    kinds = page.evaluate(
        "() => document.getElementById('vi-belt').layout.shapes.map((s) => s.type)"
    )
    assert set(kinds) == {"path"}, kinds
    assert (
        belt_chart["title"]
        == f"{images[0].name}: {len(im0['pieces'])} pieces (outlines and numbers by group)"
    )
    shown = sum(len(tr["x"]) for tr in belt_chart["traces"])
    assert shown == len(im0["pieces"])
    assert page.evaluate("document.getElementById('vi-belt').layout.images.length") == 1
    counts = page.locator("#vi-classes tbody td:nth-child(3)").all_inner_texts()
    assert sum(int(c.replace(",", "")) for c in counts) == len(im0["pieces"])
    c = chart(page, "vi-counts")
    assert [tr["name"] for tr in c["traces"]] == ["wrought Al", "cast Al", "copper", "other"]
    assert c["traces"][0]["y"] == [iv["count"]["wrought"]["mean"] for iv in ref["intervals"]]
    chart(page, "vi-mass")
    # the second image, by keyboard
    page.focus("#vi-which")
    page.keyboard.press("ArrowDown")
    im1 = ref["images"][1]
    expect(page.locator("#vi-which")).to_have_value("1")
    assert chart(page, "vi-belt")["title"].startswith(f"{images[1].name}: {len(im1['pieces'])} ")
    assert page.evaluate(SHAPES, "vi-belt") == len(im1["pieces"])
    _vision_render_and_evaluate(page, server)
    # Japanese
    choose_lang(page, "ja")
    expect(page.locator("#vi-title")).to_have_text("画像認識: シュレッダー搬送ベルト上の破片")
    expect(page.locator("#vi-eval-title")).to_have_text("未学習の生成画像でモデルを評価")
    expect(page.locator("label[for='vi-scale']")).to_have_text("縮尺 (1 画素あたり mm)")
    assert chart(page, "vi-belt")["title"].endswith("(グループ別の輪郭と番号)")
    names = [tr["name"] for tr in chart(page, "vi-counts")["traces"]]
    assert names == ["展伸材 Al", "鋳物 Al", "銅", "その他"]
    _check(page, "ja", "vision", errors)


def _vision_render_and_evaluate(page: Any, server: str) -> None:
    """Render a sample frame (POST /api/vision/render) and find its pieces with no file
    chosen; evaluate on held-out renders (a job: the confusion matrix drawn is the job's);
    a cancelled evaluation is stopped on the server (DELETE)."""
    page.fill("#vi-sample-seed", "12")
    page.fill("#vi-sample-pieces", "20")
    with page.expect_response(re.compile(r"/api/vision/render$")) as rendered:
        page.click("#vi-sample-run")
    truth = rendered.value.json()["truth"]
    assert (
        chart(page, "vi-sample-chart")["title"] == f"sample-12.png ({len(truth)} pieces, rendered)"
    )
    cells = page.locator("#vi-sample-truth tbody td:nth-child(2)").all_inner_texts()
    assert sum(int(c) for c in cells) == len(truth) > 0
    page.set_input_files("#vi-images", [])
    with page.expect_response(re.compile(r"/api/vision/predict$")):
        page.click("#vi-run")
    expect(page.locator("#vi-summary")).to_contain_text("on 1 images")
    assert chart(page, "vi-belt")["title"].startswith("sample-12.png: ")
    # evaluation on two held-out frames: the job's confusion matrix, written in the cells
    page.fill("#vi-eval-frames", "2")
    with page.expect_response(re.compile(r"/api/vision/evaluate$")) as started:
        page.click("#vi-eval-run")
    c = chart(page, "vi-confusion")
    doc = _job(page, server, f"/api/vision/jobs/{started.value.json()['id']}")
    cells = page.evaluate(ANNOTATIONS, "vi-confusion")
    assert [int(v) for v in cells] == [v for row in doc["confusion"] for v in row]
    assert c["title"].startswith("Confusion matrix (accuracy ")
    expect(page.locator("#vi-eval-groups tbody tr")).to_have_count(4)
    expect(page.locator("#vi-sorter")).to_be_visible() if doc["sorter"] else expect(
        page.locator("#vi-no-sorter")
    ).to_be_visible()
    # a long evaluation cancelled: stopped on the server
    page.fill("#vi-eval-frames", "24")
    with page.expect_response(re.compile(r"/api/vision/evaluate$")) as started:
        page.click("#vi-eval-run")
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        page.click("#vi-eval-cancel")
    job = page.request.get(
        f"{server}/api/vision/jobs/{started.value.json()['id']}", headers={"X-Junkan-CSRF": "1"}
    ).json()
    assert job["status"] in ("failed", "running")  # the stop lands within a moment
    expect(page.locator("#vi-eval-status")).to_have_text("Cancelled.")


def test_nature_page_runs_your_own_assessment(
    page: Any, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An assessment whose files are in the server's raster folder (JUNKAN_NATURE_ROOT)."""
    from junkan.nature import write_sample

    doc = yaml.safe_load(write_sample(tmp_path / "rasters", size=60, seed=3).read_text("utf-8"))
    sign_in(page, server)
    page.get_by_role("link", name="Nature", exact=True).click()
    page.check("input[name='nt-source'][value='own']")
    expect(page.locator("#nt-size")).to_be_hidden()
    page.fill("#nt-doc", "{not json")
    page.click("#nt-run")
    expect(page.locator("#nt-errors")).to_contain_text(
        'Assessment: not a JSON object (line 1, column 2: "n" is not expected there)')
    # a server without a raster folder says so beside the form
    monkeypatch.delenv("JUNKAN_NATURE_ROOT", raising=False)
    page.fill("#nt-doc", json.dumps(doc))
    page.click("#nt-run")
    expect(page.locator("#nt-errors")).to_contain_text("reads no rasters")
    monkeypatch.setenv("JUNKAN_NATURE_ROOT", str(tmp_path / "rasters"))
    page.click("#nt-run")
    expect(page.locator("#nt-areas tbody tr")).to_have_count(3, timeout=180_000)
    expect(page.locator("#nt-summary")).to_contain_text("3 sourcing areas, 6 scenes.")
    expect(page.locator("#nt-errors")).to_be_empty()


def test_the_shipped_sample_is_named_in_the_page_s_language(page: Any, server: str) -> None:
    """Review 2026-12-04 (Japanese, 800 px): the sample's result was headed by its English
    name, written by the sample generator; a document's own name stays as written."""
    sign_in(page, server)
    choose_lang(page, "ja")
    page.goto(f"{server}/#/nature")
    page.fill("#nt-size", "60")
    page.click("#nt-run")
    summary = page.locator("#nt-summary")
    expect(summary).to_contain_text("サンプル：コーヒーとゴムの調達地域（生成データ）",
                                    timeout=180_000)
    expect(summary).not_to_contain_text("coffee and rubber")
