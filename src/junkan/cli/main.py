"""``junkan`` command line: the root app and its sub-apps, one module per capability.

Each sub-app is imported when its command runs (:mod:`junkan.cli.lazy`), so ``junkan --help``
and every command pay only for their own capability. Commands at the top level
(``junkan validate``, ``junkan indicators``, ``junkan serve`` …) and command groups
(``junkan network solve`` …) are listed in :data:`COMMANDS`, in the order help shows them.

Shared helpers (consoles, the error exit, atomic output folders, JSON output) are in
:mod:`junkan.cli.common`. Errors in input print one ``error`` line per problem to stderr and
exit with code 2; nothing is written then.
"""

from __future__ import annotations

import typer

from junkan.cli.lazy import Lazy, LazyGroup

_LIFE = "junkan.cli.lifecycle"
_UNC = "junkan.cli.uncertainty"

COMMANDS: dict[str, Lazy] = {
    "validate": Lazy(_LIFE, "Check a model, every scenario and its uncertainty section; print "
                            "a summary or the problems (exit 2)."),
    "simulate": Lazy(_LIFE, "Simulate one scenario; print its totals, write tables with --out."),
    "compare": Lazy(_LIFE, "Simulate every scenario and show them side by side."),
    "report": Lazy(_LIFE, "Write the HTML report (Sankey per scenario, indicator charts) of a "
                          "model."),
    "examples": Lazy("junkan.cli.examples", "Shipped example files: list them, or copy them "
                     "into a folder where the guides' commands run.", group=True),
    "schema": Lazy(_LIFE, "Print (or write) the JSON Schema of the model format."),
    "library": Lazy(_LIFE, "List the library templates a model can import with ``uses:``."),
    "indicators": Lazy("junkan.cli.indicators",
                       "Circularity indicators (MCI, CTI, ISO 59020, ESRS E5, RAP) of a flow "
                       "model, or of every scenario of a lifecycle model."),
    "serve": Lazy("junkan.cli.serve", "Start the API and web UI (OpenAPI at /docs)."),
    "uncertainty": Lazy(_UNC, "Percentiles (5/25/50/75/95) of every headline figure, total and "
                              "actor figure per scenario, and P(scenario B beats A) on paired "
                              "draws (ties count as half; P(equal) beside it)."),
    "sensitivity": Lazy(_UNC, "Sobol' indices or Morris screening of the headline figures (or "
                              "the totals and actor figures named by --output); the "
                              "top drivers (those above their noise) with their indices, the n "
                              "used, and notes (rounding of n, unstable indices, correlations "
                              "left out)."),
    "calibrate": Lazy(_UNC, "Fit the 'calibrate: true' parameters to the observed figures "
                            "(bounded least squares); fitted values, residuals and 95 % ranges "
                            "(a parameter the observations do not identify is marked so, its "
                            "range its bounds)."),
    "optimise": Lazy("junkan.cli.optimise",
                     "Choose, per product and part, among the loop options the model allows, to "
                     "minimise CO2e, cost or virgin input or maximise margin, revenue, "
                     "recycled share or RAP under constraints; "
                     "--pareto for the front between two objectives with each actor's gain or "
                     "loss."),
    "network": Lazy("junkan.cli.network", "Resource-circulation network planning.", group=True),
    "foresight": Lazy("junkan.cli.foresight", "Future-scenario ensembles.", group=True),
    "alloy": Lazy("junkan.cli.alloys", "ELV aluminium: predict, plan, grade, update.", group=True),
    "trace": Lazy("junkan.cli.trace", "Lot traceability: import events, show lots, verify logs.",
                  group=True),
    "admin": Lazy("junkan.cli.admin", "Platform operator: organisations, users, API clients, "
                                      "tokens and model shares (on the database directly).",
                  group=True, attr="admin_app"),
    "grade": Lazy("junkan.cli.grading", "Grade items against criteria sets: met or the failed "
                                        "rules, with the evidence read; ranked families (surplus "
                                        "soil) give each item's class."),
    "passport": Lazy("junkan.cli.passport", "Passports: graded records as Asset Administration "
                     "Shell (AAS V3.0) or Battery Pass documents.", group=True),
    "market": Lazy("junkan.cli.market", "Market: offers, buyers' conditions (ODRL) and matching "
                                        "with pooling.", group=True),
    "sensing": Lazy("junkan.cli.sensing", "Shredder monitoring (sensing).", group=True),
    "meter": Lazy("junkan.cli.meter", "Reverse-chain metering (current clamps → unit factors per "
                                      "model × step).", group=True),
    "olca": Lazy("junkan.cli.olca", "Exchange with openLCA (olca-schema JSON-LD).", group=True),
    "policy": Lazy("junkan.cli.policy", "Policy: municipal CE diagnosis, recycled-content "
                                        "periodic reports, procurement criteria, solar-panel "
                                        "sharing, reuse histories, disclosure packs "
                                        "(自治体CE診断・再生材利用の定期報告・グリーン購入・"
                                        "太陽光パネル・リユース履歴・開示).", group=True),
    "nature": Lazy("junkan.cli.nature", "Nature: TNFD LEAP assessment of sourcing areas.",
                   group=True),
    "vision": Lazy("junkan.cli.vision", "Vision for shredded scrap: render, train, evaluate, "
                                        "predict.", group=True),
}


class RootGroup(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(cls=RootGroup, add_completion=False, no_args_is_help=True,
                  help="junkan (循環): circular-economy lifecycle simulation.")


@app.callback()
def _root() -> None:
    # a callback makes ``app`` a group before any sub-app is loaded; it takes no options
    pass


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
