"""The ``junkan`` console script (and ``python -m junkan``): the CLI of :mod:`junkan.cli.main`,
with one line instead of a traceback when a command needs an optional extra that is not
installed (``junkan serve`` without ``junkan[service]``): exit code 1; or when a file cannot
be read or written where the command did not say so itself (a missing folder, a folder where
a file should be): ``error <file>: <why>``, exit code 2, as for every bad input."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from junkan.cli.main import app

        app()
    except ModuleNotFoundError as exc:
        from junkan.core.extras import install_hint, missing_extra

        found = missing_extra(exc)
        if found is None:
            raise
        sys.stderr.write(f"error: this command {install_hint(*found)}\n")
        raise SystemExit(1) from None
    except OSError as exc:
        if exc.filename is None or not exc.strerror:
            raise
        sys.stderr.write(f"error {exc.filename}: {exc.strerror}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
