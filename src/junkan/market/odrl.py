"""Buyers' conditions as ODRL 2.2 policies, shaped after the Catena-X ODRL profile
(https://github.com/catenax-eV/cx-odrl-profile, 2025/9 contexts), and enforced from them.

A condition is published as three policies (references/grading-and-market.md §3):

- an **access** policy (Catena-X shape): ``permission`` ``access`` with an ``and`` of
  ``BusinessPartnerNumber isAnyOf [the granted partners]`` — who may see the condition;
- a **usage** policy (Catena-X shape): ``use`` under ``FrameworkAgreement eq
  DataExchangeGovernance:1.0`` for ``UsagePurpose isAnyOf [cx.circular.marketplace:1]``;
- an **acceptance** offer in junkan's own profile (``jkm:``), carrying the material window:
  Catena-X's closed list of left operands cannot express "Fe ≤ 0.5 wt %", so the quality
  terms stay out of the Catena-X policies.

:func:`check` applies the ODRL 2.2 information model (a uid, at least one rule, an assigner
on an Offer, assigner and assignee on an Agreement, atomic or logical constraints with
known operators) and, for Catena-X-shaped policies, the profile's semantic rules that its
JSON Schema does not enforce (only ``and``; access rules limited to four left operands and no
prohibitions or obligations; obligations limited to data-provisioning end; right operands
not bare numbers). :func:`granted` evaluates an access policy for an organisation.
"""

from __future__ import annotations

from typing import Any

from junkan.grading import CriteriaSet, properties, resolve, shipped_sets
from junkan.market.schema import Condition

CX_CONTEXT = [
    "https://w3id.org/catenax/2025/9/policy/odrl.jsonld",
    "https://w3id.org/catenax/2025/9/policy/context.jsonld",
]
JK_PROFILE = "https://w3id.org/junkan/market/v1/profile"
"""junkan's ODRL profile IRI (not registered with w3id.org: an identifier only)."""
JK_CONTEXT = {"jkm": "https://w3id.org/junkan/market/v1#", "odrl": "http://www.w3.org/ns/odrl/2/"}

OPERATORS = {
    "eq",
    "gt",
    "gteq",
    "lt",
    "lteq",
    "neq",
    "isA",
    "hasPart",
    "isPartOf",
    "isAllOf",
    "isAnyOf",
    "isNoneOf",
}
LOGICAL = {"or", "xone", "and", "andSequence"}
CX_LEFT = {
    "AffiliatesBpnl",
    "AffiliatesRegion",
    "BusinessPartnerGroup",
    "BusinessPartnerNumber",
    "ConfidentialInformationMeasures",
    "ConfidentialInformationSharing",
    "ContractReference",
    "ContractTermination",
    "DataFrequency",
    "DataProvisioningEndDate",
    "DataProvisioningEndDurationDays",
    "DataUsageEndDate",
    "DataUsageEndDurationDays",
    "DataUsageEndDefinition",
    "ExclusiveUsage",
    "FrameworkAgreement",
    "JurisdictionLocation",
    "JurisdictionLocationReference",
    "Liability",
    "ManagedLegalEntityBpnl",
    "ManagedLegalEntityRegion",
    "Membership",
    "Precedence",
    "UsagePurpose",
    "UsageRestriction",
    "VersionChanges",
    "Warranty",
    "WarrantyDefinition",
    "WarrantyDuration",
    "WarrantyDurationMonths",
}
"""Left operands of the profile: its context (2025/9) and its constraint schemas, which name
the warranty duration ``WarrantyDurationMonths`` (commit 3c7c885)."""
CX_ACCESS_LEFT = {
    "FrameworkAgreement",
    "Membership",
    "BusinessPartnerNumber",
    "BusinessPartnerGroup",
}
CX_OBLIGATION_LEFT = {"DataProvisioningEndDate", "DataProvisioningEndDurationDays"}
RULES = ("permission", "prohibition", "obligation")


def to_odrl(c: Condition) -> dict[str, Any]:
    """The three policies of a condition (see the module's docstring)."""
    uid = f"urn:junkan:market:condition:{c.id}"
    access = {
        "@context": CX_CONTEXT,
        "@type": "Set",
        "@id": f"{uid}:access",
        "permission": [
            {
                "action": "access",
                "constraint": [
                    {
                        "and": [
                            {
                                "leftOperand": "BusinessPartnerNumber",
                                "operator": "isAnyOf",
                                "rightOperand": sorted(c.granted_to),
                            }
                        ]
                    }
                ],
            }
        ],
    }
    usage = {
        "@context": CX_CONTEXT,
        "@type": "Set",
        "@id": f"{uid}:usage",
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "and": [
                            {
                                "leftOperand": "FrameworkAgreement",
                                "operator": "eq",
                                "rightOperand": "DataExchangeGovernance:1.0",
                            },
                            {
                                "leftOperand": "UsagePurpose",
                                "operator": "isAnyOf",
                                "rightOperand": ["cx.circular.marketplace:1"],
                            },
                        ]
                    }
                ],
            }
        ],
    }
    return {"access": access, "usage": usage, "acceptance": acceptance(c, uid)}


def acceptance(c: Condition, uid: str) -> dict[str, Any]:
    """The material window, price and lot terms as an ODRL Offer in junkan's profile: every
    rule of the criteria set (shipped sets too, resolved from the catalogue, with the set's
    id and version), the minimum lot, capacity and delivery dates as constraints of the
    ``jkm:deliver`` permission; the price formula — base price and each premium or discount
    as the matching applies it (:func:`price_terms`) — as constraints of its ``compensate``
    duty."""
    cs = _criteria_set(c)
    terms: list[dict[str, Any]] = [
        {"leftOperand": "jkm:criteriaSet", "operator": "eq", "rightOperand": cs.id},
        {"leftOperand": "jkm:criteriaVersion", "operator": "eq", "rightOperand": cs.version},
        {"leftOperand": "jkm:minimumLotKg", "operator": "gteq", "rightOperand": f"{c.min_lot:g}"},
        {"leftOperand": "jkm:capacityKg", "operator": "lteq", "rightOperand": f"{c.capacity:g}"},
    ]
    if c.delivery is not None:
        terms += [
            {
                "leftOperand": "odrl:dateTime",
                "operator": "gteq",
                "rightOperand": c.delivery.start.isoformat(),
            },
            {
                "leftOperand": "odrl:dateTime",
                "operator": "lteq",
                "rightOperand": c.delivery.end.isoformat(),
            },
        ]
    terms += rule_terms(cs)
    return {
        "@context": [JK_CONTEXT, {"@vocab": "http://www.w3.org/ns/odrl/2/"}],
        "@type": "Offer",
        "uid": f"{uid}:acceptance",
        "profile": JK_PROFILE,
        "assigner": c.buyer,
        "permission": [
            {
                "target": f"urn:junkan:market:lot-of:{c.buyer}",
                "action": "jkm:deliver",
                "constraint": [{"and": terms}],
                "duty": [{"action": "compensate", "constraint": [{"and": price_terms(c)}]}],
            }
        ],
    }


def _criteria_set(c: Condition) -> CriteriaSet:
    """The condition's criteria set: inline, or the shipped set it names."""
    if isinstance(c.criteria, CriteriaSet):
        return c.criteria
    found = shipped_sets().get(c.criteria)
    return found if found is not None else resolve([c.criteria])[0]


def _unit(prop: str) -> str:
    """The unit a bare number of ``prop`` is read in (composition wt %, restricted
    substances mg/kg, a property its catalogue unit)."""
    if prop.startswith("composition."):
        return "wt %"
    if prop.startswith("restricted"):
        return "mg/kg"
    spec = properties().get(prop)
    return spec.display if spec is not None else ""


def _quantity(prop: str, v: float | str) -> str:
    """``v`` with its unit: text that names one as written, a number with :func:`_unit`."""
    try:
        x = float(v)
    except ValueError:
        return str(v)
    return f"{x:g} {_unit(prop)}".rstrip()


def rule_terms(cs: CriteriaSet) -> list[dict[str, Any]]:
    """Every rule of ``cs`` as constraints: a range as ``jkm:<property>`` ``gteq``/``lteq``
    with its unit (a restricted substance also says its ``jkm:basis``: ``max``, each lot;
    ``mean``, the delivered blend), an enumeration as ``jkm:<attribute> isAnyOf``, a
    certificate as ``jkm:certificates hasPart <kind>``. A rule with a period (a limit that
    changes by date) says it: ``jkm:since`` (from that day), ``jkm:until`` (before it). A set
    for one material says so first: ``jkm:material.name isAnyOf`` its accepted names."""
    out: list[dict[str, Any]] = []
    if cs.materials:  # the set's material scope (read in any case)
        out.append({"leftOperand": "jkm:material.name", "operator": "isAnyOf",
                    "rightOperand": list(cs.materials)})
    for r in cs.rules:
        start = len(out)
        if r.type == "range" and r.property is not None:
            for side, op in (("min", "gteq"), ("max", "lteq")):
                v = getattr(r, side)
                if v is None:
                    continue
                term: dict[str, Any] = {
                    "leftOperand": f"jkm:{r.property}",
                    "operator": op,
                    "rightOperand": _quantity(r.property, v),
                }
                if r.property.startswith("restricted"):
                    term["jkm:basis"] = r.basis
                out.append(term)
        elif r.type == "enum" and r.attribute is not None:
            out.append(
                {
                    "leftOperand": f"jkm:{r.attribute}",
                    "operator": "isAnyOf",
                    "rightOperand": list(r.allowed or []),
                }
            )
        elif r.type == "certificate" and r.kind is not None:
            out.append(
                {"leftOperand": "jkm:certificates", "operator": "hasPart", "rightOperand": r.kind}
            )
        for term in out[start:]:
            term.update({f"jkm:{k}": d.isoformat() for k in ("since", "until")
                         if (d := getattr(r, k)) is not None})
    return out


def price_terms(c: Condition) -> list[dict[str, Any]]:
    """The price formula as the matching applies it: ``jkm:basePrice`` and one
    ``jkm:premium`` per premium or discount (property, JPY/kg per unit of it, reference,
    side), settled on each lot's own graded value; ``jkm:priceFormula`` spells the whole
    formula out."""
    out: list[dict[str, Any]] = [
        {
            "leftOperand": "jkm:basePrice",
            "operator": "eq",
            "rightOperand": f"{c.price.base:g} JPY/kg",
        }
    ]
    formula = f"{c.price.base:g} JPY/kg"
    for pr in c.price.premiums:
        unit = _unit(pr.property)
        out.append(
            {
                "leftOperand": "jkm:premium",
                "operator": "eq",
                "rightOperand": {
                    "jkm:property": pr.property,
                    "jkm:perUnit": f"{pr.per_unit:g} JPY/kg per {unit}".rstrip(),
                    "jkm:reference": f"{pr.reference:g} {unit}".rstrip(),
                    "jkm:side": pr.side,
                    "jkm:settledOn": "lot",
                },
            }
        )
        d = {"both": "({p} − {r})", "above": "max(0, {p} − {r})", "below": "min(0, {p} − {r})"}
        sign = "−" if pr.per_unit < 0 else "+"
        formula += f" {sign} {abs(pr.per_unit):g} JPY/kg per {unit} × " + d[pr.side].format(
            p=pr.property, r=f"{pr.reference:g} {unit}".rstrip()
        )
    out.append({"leftOperand": "jkm:priceFormula", "operator": "eq", "rightOperand": formula})
    return out


def _is_cx(policy: dict[str, Any]) -> bool:
    ctx = policy.get("@context")
    ctx = ctx if isinstance(ctx, list) else [ctx]
    return any(isinstance(x, str) and "w3id.org/catenax" in x for x in ctx)


def check(policy: Any) -> list[str]:
    """Problems of a policy (empty: valid)."""
    if not isinstance(policy, dict):
        return ["a policy is a JSON object"]
    out: list[str] = []
    kind = policy.get("@type", policy.get("type"))
    if kind not in (
        "Set",
        "Offer",
        "Agreement",
        "Policy",
        "odrl:Set",
        "odrl:Offer",
        "odrl:Agreement",
    ):
        out.append(f"@type: {kind!r} is not an ODRL policy type")
    if not (policy.get("@id") or policy.get("uid")):
        out.append("uid: a policy needs an identifier (@id or uid)")
    if not any(policy.get(r) for r in RULES):
        out.append("a policy needs at least one permission, prohibition or obligation")
    kind = str(kind).removeprefix("odrl:")
    if kind in ("Offer", "Agreement") and not policy.get("assigner"):
        out.append(f"assigner: an {kind} needs an assigner")
    if kind == "Agreement" and not policy.get("assignee"):
        out.append("assignee: an Agreement needs an assignee")
    cx = _is_cx(policy)
    for rule_kind in RULES:
        rules = policy.get(rule_kind) or []
        if not isinstance(rules, list):
            out.append(f"{rule_kind}: must be a list")
            continue
        for i, rule in enumerate(rules):
            out += _rule(rule, f"{rule_kind}[{i}]", rule_kind, cx, policy)
    return out


def _rule(rule: Any, where: str, kind: str, cx: bool, policy: dict[str, Any]) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where}: a rule is an object"]
    out = []
    action = rule.get("action")
    if not action:
        out.append(f"{where}.action: required")
    if cx:
        if action not in ("access", "use"):
            out.append(f"{where}.action: Catena-X knows 'access' and 'use', not {action!r}")
        access = any(
            r.get("action") == "access"
            for r in policy.get("permission") or []
            if isinstance(r, dict)
        )
        if access and kind != "permission":
            out.append(f"{where}: an access policy has no prohibitions or obligations")
    for j, con in enumerate(rule.get("constraint") or []):
        out += _constraint(con, f"{where}.constraint[{j}]", cx, kind, action)
    return out


def _constraint(con: Any, where: str, cx: bool, kind: str, action: Any) -> list[str]:
    if not isinstance(con, dict):
        return [f"{where}: a constraint is an object"]
    logical = [k for k in con if k in LOGICAL]
    if logical:
        op = logical[0]
        out = (
            []
            if not cx or op == "and"
            else [f"{where}.{op}: the Catena-X profile allows only 'and'"]
        )
        parts = con[op]
        if not isinstance(parts, list) or not parts:
            return [*out, f"{where}.{op}: a non-empty list of constraints"]
        for k, p in enumerate(parts):
            out += _constraint(p, f"{where}.{op}[{k}]", cx, kind, action)
        return out
    out = []
    for field in ("leftOperand", "operator", "rightOperand"):
        if field not in con:
            out.append(f"{where}.{field}: required")
    op = con.get("operator")
    if op is not None and str(op).removeprefix("odrl:") not in OPERATORS:
        out.append(f"{where}.operator: {op!r} is not an ODRL operator")
    if not cx:
        return out
    left = con.get("leftOperand")
    right = con.get("rightOperand")
    if left not in CX_LEFT:
        out.append(f"{where}.leftOperand: {left!r} is not in the Catena-X profile")
    if action == "access" and left not in CX_ACCESS_LEFT:
        out.append(f"{where}.leftOperand: {left!r} is not allowed in an access policy")
    if kind == "obligation" and left not in CX_OBLIGATION_LEFT:
        out.append(f"{where}.leftOperand: an obligation may only use {sorted(CX_OBLIGATION_LEFT)}")
    if isinstance(right, bool | int | float):
        out.append(f"{where}.rightOperand: a string, object or list (not a bare number)")
    return out


def granted(access_policy: dict[str, Any], org: str) -> bool:
    """Whether an access policy lets ``org`` see the asset: some ``access`` permission whose
    constraints all hold with BusinessPartnerNumber = ``org`` (an invalid policy grants
    nothing)."""
    if check(access_policy):
        return False
    for rule in access_policy.get("permission") or []:
        if rule.get("action") == "access" and all(
            _holds(c, org) for c in rule.get("constraint") or []
        ):
            return True
    return False


def _holds(con: dict[str, Any], org: str) -> bool:
    if "and" in con:
        return all(_holds(p, org) for p in con["and"])
    if con.get("leftOperand") != "BusinessPartnerNumber":
        return False  # memberships and framework credentials are not held here
    op, right = con.get("operator"), con.get("rightOperand")
    values = right if isinstance(right, list) else [right]
    if op in ("eq", "isAnyOf", "isPartOf"):
        return org in values
    if op in ("neq", "isNoneOf"):
        return org not in values
    return False
