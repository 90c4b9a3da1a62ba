"""The ``junkan`` console script (and ``python -m junkan``): the CLI of :mod:`junkan.cli.main`,
with one line instead of a traceback when a command needs an optional extra that is not
installed (``junkan serve`` without ``junkan[service]``): exit code 1; or when a file cannot
be read or written where the command did not say so itself (a missing folder, a folder where
a file should be): ``error <file>: <why>``, exit code 2, as for every bad input; or when the
database's migration lock was held too long by another process: ``not started: …``, exit
code 2."""

from __future__ import annotations

import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: said, not silent (typer ends with exit code 130 and no word; review 241)."""
    sys.stderr.write("\nstopped (Ctrl-C): results folders and files are replaced only once "
                     "complete, so none is left half-written\n")
    raise KeyboardInterrupt


def main() -> None:
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
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
    except RuntimeError as exc:  # the 'service' extra may be missing: known by its name
        if type(exc).__name__ != "MigrationLockTimeout":  # junkan.store.server_lock
            raise
        sys.stderr.write(f"not started: {exc}\n")
        raise SystemExit(2) from None
    except OSError as exc:
        if exc.filename is None or not exc.strerror:
            raise
        sys.stderr.write(f"error {exc.filename}: {exc.strerror}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
