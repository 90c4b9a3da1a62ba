"""``/api/nature/survey``: offline-recorded observations synced idempotently, edits by
version, conflicts returned (never overwritten), per-organisation isolation, Darwin Core
export, richness, limits and authorisation; photos of synced observations."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401
from tests.nature.survey_helpers import BASE, observation, sync
from tests.nature.test_photo import _image

pytestmark = pytest.mark.slow  # an app per store, > 0.5 s each


def _synced(
    c: TestClient, h: dict[str, str], *items: tuple[dict[str, Any], int | None]
) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """Sync ``items``, which must be taken: each one's (status, version), and the results."""
    res = sync(c, h, *items)
    assert res.status_code == 200, res.text
    results = res.json()["results"]
    return [(r["status"], r["version"]) for r in results], results


def test_sync_edit_conflict_and_export(app_client: TestClient) -> None:  # noqa: F811
    demo, partner = demo_tokens(app_client)
    a = observation("dev1-0001")
    b = observation("dev1-0002", species="Apis cerana", count=30, area="B")
    got, _ = _synced(app_client, demo, (a, None), (b, None))
    assert got == [("created", 1), ("created", 1)]
    # the answer was lost and the device sends its queue again: nothing is duplicated
    got, _ = _synced(app_client, demo, (a, None), (b, None))
    assert got == [("unchanged", 1), ("unchanged", 1)]
    # device 1 edits version 1; device 2, offline, edited version 1 too and syncs later
    got, _ = _synced(app_client, demo, (a | {"count": 3}, 1))
    assert got == [("updated", 2)]
    got, res = _synced(app_client, demo, (a | {"count": 5}, 1), (a | {"count": 7} | {"id": "x"}, 1))
    assert got[0] == ("conflict", 2) and res[0]["server"]["observation"]["count"] == 3
    assert got[1] == ("created", 1)  # an unknown id is new, whatever base it names
    # a different record under a known id without a base is a conflict too, not an overwrite
    got, _ = _synced(app_client, demo, (b | {"count": 1}, None))
    assert got == [("conflict", 1)]
    # the surveyor keeps their own version: resend on the server's version
    got, _ = _synced(app_client, demo, (a | {"count": 5}, 2))
    assert got == [("updated", 3)]

    listed = app_client.get(f"{BASE}/observations", headers=demo).json()
    assert listed["total"] == 3
    by_id = {o["observation"]["id"]: o for o in listed["observations"]}
    assert by_id["dev1-0001"]["version"] == 3 and by_id["dev1-0001"]["observation"]["count"] == 5
    assert listed["richness"] == {
        "A": {"species": 1, "individuals": 5 + 7},
        "B": {"species": 1, "individuals": 30},
    }
    page = app_client.get(f"{BASE}/observations?limit=1&offset=1", headers=demo).json()
    assert len(page["observations"]) == 1 and page["total"] == 3

    res = app_client.get(f"{BASE}/export.csv", headers=demo)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert {r["occurrenceID"] for r in rows} == {"dev1-0001", "dev1-0002", "x"}
    assert {r["basisOfRecord"] for r in rows} == {"HumanObservation"}

    # another organisation: the same id is its own record, and it sees none of demo's
    got, _ = _synced(app_client, partner, (a, None))
    assert got == [("created", 1)]
    assert app_client.get(f"{BASE}/observations", headers=partner).json()["total"] == 1
    assert "dev1-0002" not in app_client.get(f"{BASE}/export.csv", headers=partner).text
    # a race: another device stored the same ids between this sync's read and its insert
    from junkan.store.nature_survey import SurveyRepo

    repo = SurveyRepo(app_client.app.state.store.db)  # type: ignore[attr-defined]
    real, calls = repo._found, []

    def stale(*args: Any) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else real(*args)

    repo._found = stale  # type: ignore[method-assign]
    org, user = _ids(app_client)
    docs = [(dict(doc), None) for doc in _stored(app_client, demo)]
    docs.append((observation("new-after-race"), None))
    got = [r["status"] for r in repo.sync(org, user, docs)]
    assert got == ["unchanged"] * (len(docs) - 1) + ["created"] and len(calls) == 2
    check = app_client.get(f"{BASE}/checklist", headers=partner).json()
    assert "assumption" in check["source"]
    assert {"name": "Apis cerana", "en": "Asian honey bee", "group": "insect"} in check["species"]
    _photos(app_client, demo, partner)  # on the same app: no second start per store


def _photos(c: TestClient, demo: dict[str, str], partner: dict[str, str]) -> None:
    """A synced observation's photo (migration 0016): stored, served back byte for byte
    only to its organisation (404 to another, like trace), refused when it is not an image
    whatever its name or declared type, its EXIF point reported but never replacing the
    recorded one, and referenced by the Darwin Core exports."""
    url = f"{BASE}/observations/p-1/photo"
    jpeg = _image("JPEG", gps=(12.69, 108.05))  # ~1.1 km north of the recorded point
    # before the observation is synced there is nothing to attach the photo to
    res = c.put(url, content=jpeg, headers=demo)
    assert res.status_code == 404 and "sync it before its photo" in res.text
    _synced(c, demo, (observation("p-1", photo="IMG_0001.JPG"), None), (observation("p-2"), None))
    res = c.put(url, content=jpeg + b"trailing", headers=demo | {"Content-Type": "text/html"})
    assert res.status_code == 200, res.text
    got = res.json()["photo"]
    assert (got["media_type"], got["width"], got["height"], got["size"]) == (
        "image/jpeg",
        40,
        30,
        len(jpeg),
    )
    assert got["exif_distance_m"] == pytest.approx(1112, rel=0.01)
    back = c.get(url, headers=demo)
    assert back.status_code == 200 and back.content == jpeg
    assert back.headers["content-type"] == "image/jpeg"
    assert "sandbox" in back.headers["content-security-policy"]
    assert back.headers["x-content-type-options"] == "nosniff"
    # another organisation: not found, whether it has an observation of that id or not
    assert c.get(url, headers=partner).status_code == 404
    _synced(c, partner, (observation("p-1"), None))
    assert c.get(url, headers=partner).status_code == 404
    assert c.put(url, content=b"<svg onload='x'/>", headers=partner).status_code == 415
    # hostile bytes under an image name and type: refused, the stored photo unchanged
    res = c.put(
        url, content=b"<html><script>1</script>", headers=demo | {"Content-Type": "image/jpeg"}
    )
    assert res.status_code == 415 and "not a JPEG, PNG or WebP" in res.json()["detail"]
    assert c.get(url, headers=demo).content == jpeg
    # the recorded point stays the observation's; the list says where the photo was taken
    listed = c.get(f"{BASE}/observations", headers=demo).json()["observations"]
    one = next(o for o in listed if o["observation"]["id"] == "p-1")
    assert one["observation"]["lat"] == 12.68 and one["photo"]["exif_lat"] == pytest.approx(12.69)
    assert one["photo"]["url"].endswith(url)
    assert "photo" not in next(o for o in listed if o["observation"]["id"] == "p-2")
    rows = {
        r["occurrenceID"]: r
        for r in csv.DictReader(io.StringIO(c.get(f"{BASE}/export.csv", headers=demo).text))
    }
    assert rows["p-1"]["associatedMedia"].endswith(url) and rows["p-2"]["associatedMedia"] == ""
    z = zipfile.ZipFile(io.BytesIO(c.get(f"{BASE}/export.zip", headers=demo).content))
    media = list(csv.DictReader(io.StringIO(z.read("multimedia.csv").decode())))
    assert [(m["coreid"], m["format"], m["title"]) for m in media] == [
        ("p-1", "image/jpeg", "IMG_0001.JPG")
    ]
    # a PNG replaces the JPEG; removing it leaves the observation without a photo
    png = _image("PNG")
    assert c.put(url, content=png, headers=demo).json()["photo"]["media_type"] == "image/png"
    assert c.get(url, headers=demo).content == png
    assert c.delete(url, headers=demo).status_code == 204
    assert c.get(url, headers=demo).status_code == 404
    assert c.delete(url, headers=demo).status_code == 404
    assert c.get(url).status_code == 401


def _stored(c: TestClient, h: dict[str, str]) -> list[dict[str, Any]]:
    return [
        o["observation"] for o in c.get(f"{BASE}/observations", headers=h).json()["observations"]
    ]


def _ids(c: TestClient) -> tuple[str, str]:
    from junkan.api.seed import DEMO_EMAIL

    user = c.app.state.store.user_by_email(DEMO_EMAIL)  # type: ignore[attr-defined]
    return user.org_id, user.id


BAD = [
    ({"observations": []}, "observations"),
    ({"observations": [{"observation": observation(str(i))} for i in range(501)]}, "observations"),
    (
        {"observations": [{"observation": observation("a")}, {"observation": observation("a")}]},
        "twice",
    ),
    ({"observations": [{"observation": observation("a", lat=91)}]}, "observation.lat"),
    ({"observations": [{"observation": observation("a", time="2024-05-01T07:30:00")}]}, "UTC"),
    ({"observations": [{"observation": observation("a", count=True)}]}, "observation.count"),
    ({"observations": [{"observation": observation("a"), "base_version": 0}]}, "base_version"),
    ({"observations": [{"observation": observation("a")}], "more": 1}, "more"),
]


def test_limits_and_authorisation(app_client: TestClient) -> None:  # noqa: F811
    demo, _ = demo_tokens(app_client)
    for body, words in BAD:
        res = app_client.post(f"{BASE}/sync", json=body, headers=demo)
        assert res.status_code == 422, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert words in res.text, (words, res.text)
    for path in ("observations", "export.csv", "checklist"):
        assert app_client.get(f"{BASE}/{path}").status_code == 401
    assert app_client.post(f"{BASE}/sync", json={"observations": []}).status_code == 401
    assert app_client.get(f"{BASE}/observations?limit=1001", headers=demo).status_code == 422
    # nothing of the refused requests was stored
    assert app_client.get(f"{BASE}/observations", headers=demo).json()["total"] == 0
