"""Results of the information-sharing workflows: what one organisation sees of the
solar-panel registry (:class:`SolarView`) and what a buyer reads of a reused product's
history (:class:`ReuseResult`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junkan.policy.reuse import GENESIS, History, record_hash, scales, verify
from junkan.policy.solar import Registry, eol_volumes, models_of, reference, view

STATUSES = ("overdue", "approaching", "operating", "collected", "treated")


@dataclass
class SolarView:
    """The installations (and models) one organisation may see, by its roles."""

    registry: Registry
    org: str
    installations: list[dict[str, Any]]
    models: list[dict[str, Any]]

    @property
    def volumes(self) -> list[dict[str, Any]]:
        """End-of-life volumes (t) by municipality and year over the installations whose
        count the organisation sees (owner, municipality, maker)."""
        seen = {d["id"] for d in self.installations if "count" in d}
        return eol_volumes(self.registry, ids=seen)

    def to_frame(self) -> Any:
        import pandas as pd

        cols = ("id", "municipality", "count", "end_of_business", "status", "mass_t", "glass_t")
        return pd.DataFrame(
            [{k: d.get(k) for k in cols} for d in self.installations], columns=list(cols)
        )

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for d in self.installations if d.get("status") == s) for s in STATUSES}
        ref = reference()
        return {
            "kind": "solar_view",
            "org": self.org,
            "as_of": self.registry.as_of.isoformat(),
            "installations": self.installations,
            "models": self.models,
            "status_counts": counts,
            "volumes": self.volumes,
            "assumptions": {
                "approaching_years": ref["approaching_years"]["value"],
                "default_service_years": ref["default_service_years"]["value"],
            },
        }

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        from junkan.policy.pages import solar_page

        return solar_page(self, lang).write(path)


def solar_view(registry: Registry, org: str) -> SolarView:
    """What ``org`` sees of ``registry``."""
    return SolarView(registry, org, view(registry, org), models_of(registry, org))


@dataclass
class ReuseResult:
    """A reused product's history as its buyer reads it, with every record's check."""

    history: History
    checks: list[dict[str, Any]]

    @property
    def intact(self) -> bool:
        """Every record signed and chained, and no key contradicting a trusted one — the
        chain's integrity, which says nothing of who signed it."""
        return all(c["signed"] and c["chained"] and c["key"] is not False for c in self.checks)

    @property
    def unverified_authors(self) -> list[str]:
        """The authors for whom no trusted key was given: anyone can sign as them."""
        return sorted({c["by"] for c in self.checks if c["key"] is None})

    @property
    def authors_verified(self) -> bool:
        """Every record's key matches its author's trusted key."""
        return not self.unverified_authors

    @property
    def valid(self) -> bool:
        """The chain intact and every author's key trusted (an unknown key is not valid:
        anyone can make a key pair and sign as any organisation)."""
        return self.intact and self.authors_verified

    @property
    def grade(self) -> dict[str, Any] | None:
        """The latest grade, with its meaning where the scale defines one."""
        for r in reversed(self.history.records):
            if r.grade is not None:
                sc = scales().get(r.grade.scale, {})
                return {
                    "scale": r.grade.scale,
                    "value": r.grade.value,
                    "ja": sc.get("ja", {}).get(r.grade.value),
                    "en": sc.get("en", {}).get(r.grade.value),
                    "at": r.at.isoformat(),
                    "by": r.by,
                }
        return None

    def records(self) -> list[dict[str, Any]]:
        out = []
        for r, c in zip(self.history.records, self.checks, strict=True):
            out.append(
                {
                    "type": r.type,
                    "by": r.by,
                    "at": r.at.isoformat(),
                    "parts_replaced": [p.model_dump(exclude_none=True) for p in r.parts_replaced],
                    "tests": [
                        {**t.model_dump(exclude_none=True), "passed": t.passed} for t in r.tests
                    ],
                    "grade": None if r.grade is None else r.grade.model_dump(),
                    "notes": r.notes,
                    "check": c,
                }
            )
        return out

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "type": r["type"],
                    "by": r["by"],
                    "at": r["at"],
                    "parts": ", ".join(p["part"] for p in r["parts_replaced"]),
                    "tests_passed": all(t["passed"] for t in r["tests"]),
                    "grade": None if r["grade"] is None else r["grade"]["value"],
                    "valid": not r["check"]["problem"] and r["check"]["key"] is True,
                }
                for r in self.records()
            ]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "reuse_history_view",
            "product": self.history.product.model_dump(exclude_none=True),
            "valid": self.valid,
            "intact": self.intact,
            "authors_verified": self.authors_verified,
            "unverified_authors": self.unverified_authors,
            "grade": self.grade,
            "records": self.records(),
            "head": self.head,
            "method": "Ed25519 over RFC 8785 canonical JSON of each record (signature "
            "excluded, product serial included); each record holds the SHA-256 of the one "
            "before (prev). Records cut from the end leave a shorter chain that still "
            "verifies: compare head (the SHA-256 of the last record) with the one the last "
            "record's author holds.",
        }

    @property
    def head(self) -> str:
        """The SHA-256 of the last record (the ``prev`` the next record will carry; 64 zeros
        for no record). A history cut after any record still verifies — the chain proves
        what is there, not that nothing came after — so a buyer compares the head with the
        one the author of the last record gave (a receipt, the service)."""
        rs = self.history.records
        return record_hash(self.history.product.serial, rs[-1]) if rs else GENESIS

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        from junkan.policy.pages import reuse_page

        return reuse_page(self, lang).write(path)


def read_history(history: History, trusted: dict[str, str] | None = None) -> ReuseResult:
    """The buyer's reading of ``history``; ``trusted``: organisation → its public key."""
    return ReuseResult(history, verify(history, trusted))
