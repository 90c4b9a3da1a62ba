"""The ``junkan`` command line (typer + rich)."""
