"""Reuse traceability: records signed and chained like trace events; a buyer's check finds
an edited, dropped or re-ordered record, a key that is not the author's, and a record moved
to another product."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy.reuse import GENESIS, Record, load_history, record_hash, verify

FIX = Path(__file__).parent / "fixtures" / "reuse_history.yaml"
REPAIRER = policy.new_key()
REFURB = policy.new_key()


def rec(**kw: object) -> Record:
    base: dict[str, object] = {
        "type": "repair",
        "by": "repairer",
        "at": "2026-03-01T10:00:00+09:00",
    }
    return Record.model_validate({**base, **kw})


@pytest.fixture
def history() -> policy.History:
    h = policy.load(FIX)
    assert isinstance(h, policy.History)
    h = policy.sign_record(
        h,
        rec(
            parts_replaced=[{"part": "drain pump", "part_number": "P-77", "reason": "leak"}],
            tests=[{"name": "insulation resistance", "value": 12.5, "unit": "MOhm", "min": 1.0}],
        ),
        REPAIRER[0],
    )
    h = policy.sign_record(
        h,
        rec(
            type="grading",
            by="refurbisher",
            at="2026-03-05T09:00:00+09:00",
            tests=[{"name": "spin test", "value": 1200, "unit": "rpm", "min": 1000, "max": 1400}],
            grade={"scale": "reuse-abc", "value": "B"},
        ),
        REFURB[0],
    )
    return h


TRUST = {"repairer": REPAIRER[1], "refurbisher": REFURB[1]}


def test_signed_history_reads_and_verifies(history: policy.History) -> None:
    res = policy.run(history, trusted=TRUST)
    assert res.valid
    doc = res.to_json()
    assert doc["grade"]["value"] == "B" and doc["grade"]["en"].startswith("good")
    assert doc["records"][0]["parts_replaced"][0]["part"] == "drain pump"
    assert doc["records"][0]["tests"][0]["passed"] is True
    assert history.records[0].prev == GENESIS
    assert history.records[1].prev == record_hash(history.product.serial, history.records[0])


def test_edited_record_fails_its_signature(history: policy.History) -> None:
    bad = copy.deepcopy(history)
    bad.records[0].parts_replaced[0].part = "door seal"
    checks = verify(bad, TRUST)
    assert not checks[0]["signed"] and "signature" in checks[0]["problem"]
    assert not checks[1]["chained"]  # the next record's prev no longer matches
    assert not policy.run(bad).valid


def test_dropped_or_reordered_record_breaks_the_chain(history: policy.History) -> None:
    dropped = history.model_copy(update={"records": history.records[1:]})
    checks = verify(dropped)
    assert checks[0]["signed"] and not checks[0]["chained"]
    swapped = history.model_copy(update={"records": history.records[::-1]})
    assert not all(c["chained"] for c in verify(swapped))


def test_key_not_the_authors(history: policy.History) -> None:
    wrong = {"repairer": REFURB[1], "refurbisher": REFURB[1]}
    checks = verify(history, wrong)
    assert checks[0]["key"] is False and "not repairer's" in checks[0]["problem"]
    assert checks[1]["key"] is True
    assert verify(history)[0]["key"] is None  # no trusted keys: nothing said



def test_a_trusted_key_in_another_base64_spelling_is_the_same_key(
    history: policy.History,
) -> None:
    """The trusted key with its padding, or in standard base64, passed the key check
    (trusted_problems) and then every record of its author read "signed with a key that is
    not repairer's", as if forged (review 318)."""
    import base64

    raw = base64.urlsafe_b64decode(REPAIRER[1] + "=")
    for spelling in (REPAIRER[1] + "=", base64.b64encode(raw).decode()):
        assert policy.trusted_problems({"repairer": spelling}) == []
        checks = verify(history, {**TRUST, "repairer": spelling})
        assert checks[0]["key"] is True and checks[0]["problem"] == "", spelling
    assert verify(history, {**TRUST, "repairer": REFURB[1]})[0]["key"] is False

def test_record_moved_to_another_product_fails(history: policy.History) -> None:
    other = history.model_copy(
        update={"product": history.product.model_copy(update={"serial": "WM-2019-999999"})}
    )
    assert not any(c["signed"] for c in verify(other))


def test_failed_test_is_shown(history: policy.History) -> None:
    h = policy.sign_record(
        history,
        rec(
            at="2026-04-01T00:00:00Z",
            tests=[{"name": "leak current", "value": 2.0, "unit": "mA", "max": 1.0}],
        ),
        REPAIRER[0],
    )
    assert policy.run(h).records()[-1]["tests"][0]["passed"] is False


def test_bad_input(history: policy.History) -> None:
    doc = {
        "kind": "reuse_history",
        "product": {"serial": "S1", "category": "tv"},
        "records": [
            {
                "type": "grading",
                "by": "x",
                "at": "2026-01-01T00:00:00Z",
                "grade": {"scale": "reuse-abc", "value": "Z"},
            },
            {"type": "repair", "by": "x", "at": "2025-01-01T00:00:00Z"},
        ],
    }
    with pytest.raises(ModelError) as exc:
        load_history(doc, "h.yaml")
    text = str(exc.value)
    assert "records[0].grade" in text and "records[1].at" in text
    naive = copy.deepcopy(doc)
    naive["records"] = [{"type": "repair", "by": "x", "at": "2026-01-01T00:00:00"}]
    with pytest.raises(ModelError, match="time zone"):
        load_history(naive, "h.yaml")
    with pytest.raises(ValueError, match="32 bytes"):
        policy.sign_record(history, rec(at="2027-01-01T00:00:00Z"), "AAAA")
    with pytest.raises(ValueError, match="earlier"):
        policy.sign_record(history, rec(at="2020-01-01T00:00:00Z"), REPAIRER[0])


@pytest.mark.parametrize(("record", "words"), [
    ({"type": "grading", "at": "2026-04-01T00:00:00Z", "grade": {"scale": "reuse-abc",
                                                                 "value": "Z"}},
     "grade: grade 'Z' is not on scale reuse-abc"),
    ({"type": "grading", "at": "2026-04-01T00:00:00Z", "grade": {"scale": "reuse-abcd",
                                                                 "value": "A"}},
     "grade: unknown scale 'reuse-abcd'"),
    ({"type": "grading", "at": "2026-04-01T00:00:00Z"}, "a grading record needs a grade"),
    ({"at": "2099-01-01T00:00:00Z"}, "at: 2099-01-01T00:00:00+00:00 is in the future")])
def test_a_record_unfit_to_sign_is_refused_before_signing(history: policy.History,
                                                          record: dict[str, object],
                                                          words: str) -> None:
    """A reviewer had records signed (and verifying) with grade Z, scale reuse-abcd or a
    2099 date; the history's reader refused the first two only after signing."""
    with pytest.raises(ModelError, match=re.escape(words)):
        policy.sign_record(history, rec(**record), REPAIRER[0])


def test_a_test_whose_min_is_above_its_max_is_refused() -> None:
    with pytest.raises(ValueError, match="min 1 is above max 0.5: no value passes"):
        rec(tests=[{"name": "t", "value": 0.7, "min": 1.0, "max": 0.5}])


def test_grading_scale_of_the_grading_model() -> None:
    doc = {
        "kind": "reuse_history",
        "product": {"serial": "S1", "category": "scrap"},
        "records": [
            {
                "type": "grading",
                "by": "x",
                "at": "2026-01-01T00:00:00Z",
                "grade": {"scale": "grading:isri-twitch", "value": "pass"},
            }
        ],
    }
    assert load_history(doc, "h").records[0].grade is not None
    doc["records"][0]["grade"]["scale"] = "grading:no-such-set"
    with pytest.raises(ModelError, match="no grading criteria set"):
        load_history(doc, "h")


def test_pages(history: policy.History, tmp_path: Path) -> None:
    res = policy.run(history, trusted=TRUST)
    assert "WM-2019-000123" in res.report(tmp_path / "r.html", lang="ja").read_text("utf-8")
    assert "Grade: B" in res.report(tmp_path / "r.en.html", lang="en").read_text("utf-8")


def test_unknown_author_key_is_not_valid(history: policy.History) -> None:
    # a fresh key pair signs as "repairer": the chain holds, but nothing says who signed
    forged = policy.sign_record(
        history.model_copy(update={"records": []}), rec(), policy.new_key()[0]
    )
    res = policy.run(forged)
    assert res.intact and not res.authors_verified and not res.valid
    doc = res.to_json()
    assert doc["valid"] is False and doc["intact"] is True
    assert doc["authors_verified"] is False and doc["unverified_authors"] == ["repairer"]
    assert res.to_frame()["valid"].tolist() == [False]
    partial = policy.run(history, trusted={"repairer": REPAIRER[1]})
    assert not partial.valid and partial.unverified_authors == ["refurbisher"]
    assert policy.run(history, trusted=TRUST).authors_verified
