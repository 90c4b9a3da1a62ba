"""The notes an indicator carries — what could not be read, what junkan assumed — each with a
code, so that a page can say it in its reader's language.

A note is its English text (a :class:`Note` is a ``str``: code that joins or prints notes is
unchanged); its ``code`` names the wording in the web page's catalogues (``indnote.<code>``
in ``web/static/i18n/{en,ja}.json``) and ``params`` the figures or names the wording quotes.
The English catalogue holds :data:`TEMPLATES` word for word (a test checks it), as the
reasons of indicators without a value do (``indreason.<code>``)."""

from __future__ import annotations

from typing import Any

from junkan.core.errors import fill_in

__all__ = ["TEMPLATES", "Note", "note"]

TEMPLATES: dict[str, str] = {
    "mci-not-read": "the equations of the 2015 methodology were not read; they agree with "
                    "independent implementations that cite it (checked against a summary)",
    "actor-reading": "junkan's own per-actor reading of a simulation, not a framework's "
                     "definition",
    "ef-from-inflows": "E_F = {ef}: not given for the product; taken from the inflows' "
                       "recycling_efficiency ({inflows}; recycled-mass-weighted harmonic mean, "
                       "inflows with a recycled share that do not state it as 1.0)",
    "ef-from-many-inflows": "E_F = {ef}: not given for the product; taken from the inflows' "
                            "recycling_efficiency ({inflows} and {more} more; "
                            "recycled-mass-weighted harmonic mean, inflows with a recycled "
                            "share that do not state it as 1.0)",
    "ef-assumed-eol": "E_F = {ef}: assumed equal to the simulated system's own recycling "
                      "efficiency E_C — the simulation does not model the recycling that made "
                      "the recycled feedstock",
    "ef-assumed-one": "E_F (efficiency of the recycling that made the recycled feedstock) not "
                      "given, for the product or the inflows: taken as 1.0 (no losses, W_F = 0)",
    "ec-assumed-one": "E_C (efficiency of the product's end-of-life recycling) not given: "
                      "taken as 1.0 (no losses, W_C = 0); give recycling_efficiency_eol",
    "eol-from-routing": "no piece of the product reached its end of life in the period: C_R, "
                        "C_U and E_C are those its end-of-life routing gives a retired piece",
    # no longer given (review 320: a simulated product's E_C is its own); kept for the
    # results saved before, whose notes quote it
    "ec-not-simulated": "E_C (efficiency of the product's end-of-life recycling): no recycling "
                        "ran in the period, taken as 1.0 (no losses, W_C = 0)",
    "mci-biological-unchecked": "composted and energy_recovered credited as given (C_C, C_E): "
                                "the 2019 extension counts them for biological materials only "
                                "(energy recovery when qualifying, C_E = E_E · B_C); give "
                                "biological_share to have them checked",
    "mci-bio-feedstock-unchecked": "sustained_bio_feedstock credited as given (F_S): the 2019 "
                                   "extension counts biological feedstock from sustained "
                                   "production only; give biological_share to have it checked",
    "cti-not-read": "CTI v4.0 §4 'Calculate' (pp. 43–74) was not read; the formula follows the "
                    "CTI definitions as summarised — check it before disclosing",
    "cti-not-circular": "not counted as circular (not a CTI recovery type: energy recovery, "
                        "disposal, other recovery or export with unknown treatment): {routes}",
    "cti-critical-inflow": "CTI defines % critical inflow as the share of critical materials in "
                           "the linear inflow (from v1.0 on, as summarised); the v4.0 text was "
                           "not read",
    "cti-water-circulation": "onsite water circulation is the number of times each withdrawn m³ "
                             "is used (≥ 1), as in ISO 59020:2024 formula (A.11); WBCSD's "
                             "metric page as summarised",
    "cti-revenue-reading": "how CTI revenue weights revenue by circularity was not read; this "
                           "reading (revenue × % circularity) is junkan's",
    "iso-read": "read in a public transcript of ISO 59020:2024 Table 3 and Annex A",
    "iso-inflow-balance": "mass balance checked: reused + recycled + renewable + linear = total "
                          "inflow (A.2.1)",
    "iso-actual-recovery": "the mass actually reused/recycled is mass × recovery potential × "
                           "actual recovery; without traceable data actual recovery is 0 "
                           "(A.3.4: '0 % should be recorded')",
    "iso-outflow-balance": "mass balance checked: reused + recycled + biological + linear = "
                           "total outflow (A.3.1)",
    "iso-lifetime-average": "formula (A.4) is per flow X; the average over products, "
                            "weighted by each product's mass as given (the period's flow, "
                            "not one unit's, to weigh by volume), is junkan's aggregation",
    "iso-energy-exported": "energy leaving the site is energy.exported (default 0)",
    "iso-water-reuse": "Table 3: 'reuse cycles of on-site water'; total water use = withdrawn "
                       "+ recirculated on site",
    "iso-productivity": "Table 3: 'ratio of revenue generated by total mass of all linear "
                        "resource inflows'",
    "iso-intensity-inferred": "formula (A.13) reads IRII = E / F; the transcript read does not "
                              "define E and F. Table 3 describes the index as a 'quantitative "
                              "measure of economic growth versus total resource use'; junkan "
                              "reads it as (revenue ÷ base revenue) ÷ (total inflow ÷ base "
                              "total inflow) — inferred, not the standard's definition",
    "esrs-paragraph": "paragraph number as summarised; not checked in the Regulation's text",
    "rap-lab-report": "read in the lab report as given to the project (seed 003); no public "
                      "text of the RAP definition was found",
}
"""Every note's English wording, by code; ``{name}`` fields are filled from its params."""


class Note(str):
    """A note's English text, with its ``code`` (a key of :data:`TEMPLATES`) and the
    ``params`` its wording quotes. Compares, joins and prints as its text."""

    code: str
    params: dict[str, str]

    def __new__(cls, text: str, code: str = "", params: dict[str, str] | None = None) -> Note:
        self = super().__new__(cls, text)
        self.code, self.params = code, dict(params or {})
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return Note, (str(self), self.code, self.params)


def note(code: str, **params: str) -> Note:
    """The note ``code`` (:data:`TEMPLATES`) with its fields filled from ``params``."""
    return Note(fill_in(TEMPLATES[code], dict(params)), code, params)
