"""``junkan`` command line: the root app and its sub-apps, one module per capability.

- :mod:`junkan.cli.lifecycle`: ``validate``, ``simulate``, ``compare``, ``report``,
  ``schema``, ``library``;
- :mod:`junkan.cli.indicators`: ``indicators``;
- :mod:`junkan.cli.serve`: ``serve`` (the API and web UI);
- :mod:`junkan.cli.network`, :mod:`junkan.cli.foresight`, :mod:`junkan.cli.alloys`,
  :mod:`junkan.cli.trace`, :mod:`junkan.cli.admin`: ``junkan network|foresight|alloy|trace|
  admin …``.

Shared helpers (consoles, the error exit, atomic output folders, JSON output) are in
:mod:`junkan.cli.common`. Errors in input print one ``error`` line per problem to stderr and
exit with code 2; nothing is written then.
"""

from __future__ import annotations

import typer

from junkan.cli import admin, alloys, foresight, indicators, lifecycle, network, serve, trace
from junkan.cli import grading as grading_cli
from junkan.cli import market as market_cli
from junkan.cli import meter as meter_cli
from junkan.cli import olca as olca_cli
from junkan.cli import optimise as optimise_cli
from junkan.cli import policy as policy_cli
from junkan.cli import sensing as sensing_cli
from junkan.cli import uncertainty as uncertainty_cli

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="junkan (循環): circular-economy lifecycle simulation.")

# commands at the top level: ``junkan validate``, ``junkan indicators``, ``junkan serve`` …
app.add_typer(lifecycle.app)
app.add_typer(indicators.app)
app.add_typer(serve.app)
app.add_typer(uncertainty_cli.app)  # uncertainty, sensitivity, calibrate
app.add_typer(optimise_cli.app)  # optimise
# command groups: ``junkan network solve`` …
app.add_typer(network.app, name="network")
app.add_typer(foresight.app, name="foresight")
app.add_typer(alloys.app, name="alloy")
app.add_typer(trace.app, name="trace")
app.add_typer(admin.admin_app, name="admin")
app.add_typer(grading_cli.app)  # junkan grade
app.add_typer(market_cli.app, name="market")
app.add_typer(sensing_cli.app, name="sensing")
app.add_typer(meter_cli.app, name="meter")
app.add_typer(olca_cli.app, name="olca")
app.add_typer(policy_cli.app, name="policy")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
