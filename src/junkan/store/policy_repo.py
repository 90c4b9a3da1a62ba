"""The solar-panel registry in the store: makers register panel models, owners their
installations, end-of-business dates and handovers, certified recyclers their treatment
reports; every party reads the installations it has a role for with the fields of its roles
(:mod:`junkan.policy.solar`'s rules, on the slice of the registry it may see). An
installation the caller has no role for reads exactly as a missing one
(:class:`SolarNotFound`). The rules of every write live in :mod:`junkan.policy` (the
``check_*`` functions); this module reads and writes rows.

Also the organisation's key for signing reuse-history records on the server
(:meth:`SolarRepo.reuse_signing_key`): the trace ledger's Ed25519 key of the organisation, so
a buyer verifies a record with the same public key as the organisation's trace events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Self, TypeVar

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from junkan import policy
from junkan.core.errors import JunkanError, Problem, coded, short
from junkan.store.db import Database
from junkan.store.policy_tables import (
    SolarHandover,
    SolarInstallation,
    SolarModel,
    SolarOrgRole,
    SolarTreatment,
)
from junkan.store.repo_base import get_for_update
from junkan.store.tables import Organisation, new_id
from junkan.store.trace_tables import TraceKey

T = TypeVar("T")
MAX_MODELS = 10_000
"""Most panel models one maker may register."""
MAX_INSTALLATIONS = 100_000
"""Most installations one owner may register."""
MAX_ENTRIES = 10_000
"""Most handovers, and most treatment reports, of one installation."""
MAX_VIEW = 10_000
"""Most installations one read returns (``offset`` pages through the rest)."""


class _Coded(JunkanError):
    """A refusal with its rule (``problems``: one coded problem) for the page to translate."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def refused(cls, code: str, template: str, /, **params: str) -> Self:
        exc = cls((problem := coded("", code, template, **params)).message)
        exc.problems = (problem,)
        return exc


class SolarNotFound(_Coded):
    """Missing, or not the caller's to see or change: the same answer."""

    http_status = 404


class SolarForbidden(JunkanError):
    """The caller's organisation lacks a role an operator grants (e.g. certified recycler)."""

    http_status = 403


class SolarConflict(_Coded):
    http_status = 409


class SolarLimit(JunkanError):
    http_status = 413


def _chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def today() -> date:
    return datetime.now(UTC).date()


class SolarRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- organisations and roles -----------------------------------------------------------
    @staticmethod
    def _org_id(s: Session, name: str) -> str:
        oid = s.scalar(select(Organisation.id).where(Organisation.name == name))
        if oid is None:
            raise SolarNotFound.refused("organisation-not-found", "organisation {name} not "
                                        "found", name=short(name))
        return str(oid)

    @staticmethod
    def _names(s: Session, ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(sorted(set(ids))):
            rows = s.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(part))
            )
            out.update({str(i): str(n) for i, n in rows})
        return out

    def grant_role(self, org_name: str, role: str, value: str) -> None:
        """Operator: ``org_name`` acts for municipality ``value`` (``role='municipality'``)
        or is a certified recycler with certificate ``value``."""
        if role not in policy.SOLAR_ORG_ROLES:
            raise ValueError(f"role must be one of {', '.join(policy.SOLAR_ORG_ROLES)}")
        if role == "municipality" and not (len(value) == 5 and value.isdigit()):
            raise ValueError("a municipality code has 5 digits (地方公共団体コード)")
        if not 1 <= len(value) <= 200:
            raise ValueError("the value needs 1-200 characters")
        with self.db.session() as s:
            oid = self._org_id(s, org_name)
            get_for_update(s, Organisation, oid)  # two grants at once: one row (review 273)
            if (rec := s.get(SolarOrgRole, (oid, role))) is None:
                s.add(SolarOrgRole(org_id=oid, role=role, value=value))
            else:
                rec.value = value

    def revoke_role(self, org_name: str, role: str) -> bool:
        with self.db.session() as s:
            oid = self._org_id(s, org_name)
            res = s.execute(
                delete(SolarOrgRole).where(SolarOrgRole.org_id == oid, SolarOrgRole.role == role)
            )
            return bool(getattr(res, "rowcount", 0))

    def roles_of(self, org_id: str) -> dict[str, str]:
        with self.db.session() as s:
            return self._roles(s, org_id)

    def roles_by_name(self, org_name: str) -> dict[str, str]:
        with self.db.session() as s:
            return self._roles(s, self._org_id(s, org_name))

    @staticmethod
    def _roles(s: Session, org_id: str) -> dict[str, str]:
        rows = s.execute(
            select(SolarOrgRole.role, SolarOrgRole.value).where(SolarOrgRole.org_id == org_id)
        )
        return {str(r): str(v) for r, v in rows}

    # ---- panel models ----------------------------------------------------------------------
    def register_model(self, org_id: str, doc: Any) -> str:
        """A panel model of the caller's organisation (the maker); its record id."""
        m = policy.parse_entry(policy.SolarModelIn, doc, "model")
        with self.db.session() as s:
            get_for_update(s, Organisation, org_id)  # count and name checked, then added
            names = self._names(s, [org_id])
            n = (
                s.scalar(
                    select(func.count())
                    .select_from(SolarModel)
                    .where(SolarModel.maker_org_id == org_id)
                )
                or 0
            )
            if n >= MAX_MODELS:
                raise SolarLimit(f"at most {MAX_MODELS} panel models per maker")
            if s.scalar(
                select(SolarModel.id).where(
                    SolarModel.maker_org_id == org_id, SolarModel.name == m.name
                )
            ):
                raise SolarConflict.refused("model-registered-already", "you registered a "
                                            "model {name} already", name=short(m.name))
            rid = new_id()
            doc = policy.check_solar_model(names[org_id], m, rid)
            s.add(SolarModel(id=rid, maker_org_id=org_id, name=m.name, doc=doc))
            return rid

    def models(self, org_id: str) -> list[dict[str, Any]]:
        """The caller's own panel models, as stored (with their record ids)."""
        with self.db.session() as s:
            recs = list(
                s.scalars(
                    select(SolarModel)
                    .where(SolarModel.maker_org_id == org_id)
                    .order_by(SolarModel.name)
                )
            )
            names = self._names(s, [org_id])
        return [_model_doc(r, names) for r in recs]

    # ---- installations ---------------------------------------------------------------------
    def register_installation(self, org_id: str, doc: Any) -> str:
        """An installation owned by the caller's organisation; its model named by maker and
        model number. Returns its record id."""
        inst = policy.parse_entry(policy.SolarInstallationIn, doc, "installation")
        with self.db.session() as s:
            get_for_update(s, Organisation, org_id)  # count and name checked, then added
            n = (
                s.scalar(
                    select(func.count())
                    .select_from(SolarInstallation)
                    .where(SolarInstallation.owner_org_id == org_id)
                )
                or 0
            )
            if n >= MAX_INSTALLATIONS:
                raise SolarLimit(f"at most {MAX_INSTALLATIONS} installations per owner")
            if s.scalar(
                select(SolarInstallation.id).where(
                    SolarInstallation.owner_org_id == org_id, SolarInstallation.name == inst.name
                )
            ):
                raise SolarConflict.refused("installation-registered-already", "you registered "
                                            "an installation {name} already", name=short(inst.name))
            maker = s.scalar(select(Organisation.id).where(Organisation.name == inst.maker))
            model = (
                None
                if maker is None
                else s.scalar(
                    select(SolarModel).where(
                        SolarModel.maker_org_id == maker, SolarModel.name == inst.model
                    )
                )
            )
            if model is None:
                raise SolarNotFound.refused("panel-model-not-found", "panel model {model} of "
                                            "{maker} not found", model=short(inst.model),
                                            maker=short(inst.maker))
            names = self._names(s, [org_id, model.maker_org_id])
            rid = new_id()
            reg = policy.solar_registry_of(today(), {}, [_model_doc(model, names)], [])
            policy.check_solar_installation(reg, inst, rid, names[org_id])
            s.add(
                SolarInstallation(
                    id=rid,
                    owner_org_id=org_id,
                    name=inst.name,
                    municipality=inst.municipality,
                    model_id=model.id,
                    address=inst.address,
                    count=inst.count,
                    commissioned=inst.commissioned,
                    end_of_business=inst.end_of_business,
                )
            )
            return rid

    def _visible_ids(self, s: Session, org_id: str) -> Any:
        """The condition for installations ``org_id`` has a role for."""
        conds = [
            SolarInstallation.owner_org_id == org_id,
            SolarInstallation.id.in_(
                select(SolarHandover.installation_id).where(SolarHandover.to_org_id == org_id)
            ),
            SolarInstallation.model_id.in_(
                select(SolarModel.id).where(SolarModel.maker_org_id == org_id)
            ),
        ]
        code = self._roles(s, org_id).get("municipality")
        if code is not None:
            conds.append(SolarInstallation.municipality == code)
        return or_(*conds)

    def _slice(self, s: Session, org_id: str, insts: list[SolarInstallation], as_of: date) -> Any:
        """The registry of ``insts`` with their models, handovers and treatments."""
        ids = [i.id for i in insts]
        models: dict[str, SolarModel] = {}
        hos: list[SolarHandover] = []
        trs: list[SolarTreatment] = []
        for part in _chunks(sorted({i.model_id for i in insts})):
            models.update(
                {m.id: m for m in s.scalars(select(SolarModel).where(SolarModel.id.in_(part)))}
            )
        for part in _chunks(ids):
            hos += s.scalars(
                select(SolarHandover)
                .where(SolarHandover.installation_id.in_(part))
                .order_by(SolarHandover.id)
            )
            trs += s.scalars(
                select(SolarTreatment)
                .where(SolarTreatment.installation_id.in_(part))
                .order_by(SolarTreatment.id)
            )
        names = self._names(
            s,
            [
                org_id,
                *(m.maker_org_id for m in models.values()),
                *(i.owner_org_id for i in insts),
                *(h.to_org_id for h in hos),
                *(t.recycler_org_id for t in trs),
            ],
        )
        code = self._roles(s, org_id).get("municipality")
        return policy.solar_registry_of(
            as_of,
            {names[org_id]: code} if code else {},
            [_model_doc(m, names) for m in models.values()],
            [_installation_doc(i, names) for i in insts],
            [
                {
                    "installation": h.installation_id,
                    "to": names[h.to_org_id],
                    "role": h.role,
                    "count": h.count,
                    "date": h.date.isoformat(),
                }
                for h in hos
            ],
            [
                {
                    "installation": t.installation_id,
                    "recycler": names[t.recycler_org_id],
                    "count": t.count,
                    "date": t.date.isoformat(),
                    **t.doc,
                }
                for t in trs
            ],
        )

    def visible(
        self, org_id: str, *, as_of: date | None = None, limit: int = 1000, offset: int = 0
    ) -> tuple[Any, str]:
        """The slice of the registry the caller's organisation has a role for (a
        :class:`junkan.policy.Registry`, installations ordered by municipality and name) and
        the organisation's name."""
        with self.db.session() as s:
            insts = list(
                s.scalars(
                    select(SolarInstallation)
                    .where(self._visible_ids(s, org_id))
                    .order_by(
                        SolarInstallation.municipality, SolarInstallation.name, SolarInstallation.id
                    )
                    .offset(offset)
                    .limit(min(limit, MAX_VIEW))
                )
            )
            reg = self._slice(s, org_id, insts, as_of or today())
            return reg, self._names(s, [org_id])[org_id]

    def view(
        self, org_id: str, *, as_of: date | None = None, limit: int = 1000, offset: int = 0
    ) -> Any:
        """What the caller's organisation sees (a :class:`junkan.policy.SolarView`: its
        installations by role, status counts, end-of-life volumes, models in them)."""
        reg, me = self.visible(org_id, as_of=as_of, limit=limit, offset=offset)
        return policy.run(reg, org=me)

    def installation(
        self, org_id: str, installation_id: str, *, as_of: date | None = None
    ) -> dict[str, Any]:
        """One installation as the caller sees it; :class:`SolarNotFound` when it does not
        exist or the caller has no role for it."""
        with self.db.session() as s:
            inst = s.scalar(
                select(SolarInstallation).where(
                    SolarInstallation.id == installation_id, self._visible_ids(s, org_id)
                )
            )
            if inst is None:
                raise SolarNotFound("not found")
            reg = self._slice(s, org_id, [inst], as_of or today())
            me = self._names(s, [org_id])[org_id]
        try:  # a role from a handover after ``as_of`` is none yet: missing, like no role
            doc: dict[str, Any] = policy.installation_view(reg, me, installation_id)[0]
        except policy.NotVisible:
            raise SolarNotFound("not found") from None
        return doc

    def _owned(self, s: Session, org_id: str, installation_id: str) -> SolarInstallation:
        inst = get_for_update(s, SolarInstallation, installation_id)  # checked, then written
        if inst is None or inst.owner_org_id != org_id:
            raise SolarNotFound("not found")
        return inst

    def set_end_of_business(self, org_id: str, installation_id: str, doc: Any) -> None:
        """The owner changes the end-of-business date (``null``: the default)."""
        new = policy.parse_entry(policy.SolarEndOfBusinessIn, doc, "end_of_business")
        with self.db.session() as s:
            inst = self._owned(s, org_id, installation_id)
            reg = self._slice(s, org_id, [inst], today())
            policy.check_solar_end_of_business(reg, inst.id, new.end_of_business)
            inst.end_of_business = new.end_of_business

    def handover(self, org_id: str, installation_id: str, doc: Any) -> None:
        """The owner hands panels to a dismantler or a recycler (an organisation by name)."""
        h = policy.parse_entry(policy.SolarHandoverIn, doc, "handover")
        with self.db.session() as s:
            inst = self._owned(s, org_id, installation_id)
            to = self._org_id(s, h.to)
            self._entries_limit(s, SolarHandover, inst.id)
            reg = self._slice(s, org_id, [inst], today())
            policy.check_solar_handover(reg, inst.id, h)
            s.add(SolarHandover(installation_id=inst.id, to_org_id=to, role=h.role,
                                count=h.count, date=h.date))

    def report_treatment(self, org_id: str, installation_id: str, doc: Any) -> None:
        """A certified recycler reports treatment of panels handed to it as recycler; an
        installation not handed to it reads as missing."""
        t = policy.parse_entry(policy.SolarTreatmentIn, doc, "treatment")
        with self.db.session() as s:
            inst = get_for_update(s, SolarInstallation, installation_id)
            if "certified_recycler" not in self._roles(s, org_id):
                raise SolarForbidden(
                    "only a certified recycler reports treatment (an "
                    "operator registers the certificate)"
                )
            handed = inst is not None and s.scalar(
                select(SolarHandover.id)
                .where(
                    SolarHandover.installation_id == inst.id,
                    SolarHandover.to_org_id == org_id,
                    SolarHandover.role == "recycler",
                )
                .limit(1)
            )
            if inst is None or not handed:
                raise SolarNotFound("not found")
            self._entries_limit(s, SolarTreatment, inst.id)
            reg = self._slice(s, org_id, [inst], today())
            me = self._names(s, [org_id])[org_id]
            entry = policy.check_solar_treatment(reg, inst.id, me, t)
            s.add(
                SolarTreatment(
                    installation_id=inst.id,
                    recycler_org_id=org_id,
                    count=t.count,
                    date=t.date,
                    doc={k: entry[k] for k in ("method", "recovered_kg", "disposed_kg")},
                )
            )

    @staticmethod
    def _entries_limit(s: Session, table: Any, installation_id: str) -> None:
        n = (
            s.scalar(
                select(func.count())
                .select_from(table)
                .where(table.installation_id == installation_id)
            )
            or 0
        )
        if n >= MAX_ENTRIES:
            raise SolarLimit(f"at most {MAX_ENTRIES} entries of each kind per installation")

    # ---- reuse histories -------------------------------------------------------------------
    def reuse_signing_key(self, trace: Any, org_id: str) -> tuple[str, str]:
        """(private, public) Ed25519 key of the organisation: its trace-ledger key (made and
        stored encrypted on first use, as for its first trace event)."""
        with trace.db.session() as s:
            key = trace._key(s, org_id)
        return str(key.private_key), str(key.public_key)

    def public_keys(self, org_names: Iterable[str]) -> dict[str, str]:
        """The public signing keys of those of ``org_names`` that have one."""
        out: dict[str, str] = {}
        with self.db.session() as s:
            for part in _chunks(sorted(set(org_names))):
                rows = s.execute(
                    select(Organisation.name, TraceKey.public_key)
                    .join(TraceKey, TraceKey.org_id == Organisation.id)
                    .where(Organisation.name.in_(part))
                )
                out.update({str(n): str(k) for n, k in rows})
        return out

    def public_key(self, org_name: str) -> str:
        """The organisation's public signing key (its trace key); :class:`SolarNotFound`
        when the organisation does not exist or has never signed."""
        with self.db.session() as s:
            oid = self._org_id(s, org_name)
            key = s.get(TraceKey, oid)
            if key is None:
                raise SolarNotFound.refused("organisation-not-found", "organisation {name} "
                                            "not found", name=short(org_name))
            return str(key.public_key)


def _model_doc(m: SolarModel, names: dict[str, str]) -> dict[str, Any]:
    return {"id": m.id, "maker": names[m.maker_org_id], "name": m.name, **m.doc}


def _installation_doc(i: SolarInstallation, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "owner": names[i.owner_org_id],
        "municipality": i.municipality,
        "address": i.address,
        "model": i.model_id,
        "count": i.count,
        "commissioned": i.commissioned.isoformat(),
        "end_of_business": None if i.end_of_business is None else i.end_of_business.isoformat(),
    }
