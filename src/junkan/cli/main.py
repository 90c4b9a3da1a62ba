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

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="junkan (循環): circular-economy lifecycle simulation.")

# commands at the top level: ``junkan validate``, ``junkan indicators``, ``junkan serve`` …
app.add_typer(lifecycle.app)
app.add_typer(indicators.app)
app.add_typer(serve.app)
# command groups: ``junkan network solve`` …
app.add_typer(network.app, name="network")
app.add_typer(foresight.app, name="foresight")
app.add_typer(alloys.app, name="alloy")
app.add_typer(trace.app, name="trace")
app.add_typer(admin.admin_app, name="admin")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
