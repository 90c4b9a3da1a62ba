"""The live lines a service was asked to connect (broker and PLC lines), kept so that the
service restores them when it starts again (:meth:`junkan.sensing.live.Hub.restore`).

One JSON file, ``lines.json``, in the hub's directory (``$JUNKAN_SENSING_DIR``, beside the
raw streams and the model cache), written atomically on every change: the service that ran a
line restores it, against the same raw-stream directory. Each entry is the line's definition
as the API accepted it — organisation, the :class:`~junkan.sensing.sources.LineSource`
(line ratings, source URL, topic, protocol), who connected it and when. It holds no
credentials: broker user names, passwords and TLS files come only from the administrator's
configuration (:mod:`junkan.sensing.brokerauth`), looked up again at every connection.
Replays are not kept (a replay is a demonstration that ends by itself)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from junkan.core.report import write_atomic

log = logging.getLogger("junkan.sensing.linebook")
FORMAT = 1
MAX_ENTRIES = 1000
"""More entries than any hub's limits allow (the file is refused beyond this)."""


class LineBook:
    """The kept definitions under ``directory/lines.json``, keyed by (organisation, line)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "lines.json"
        self.lock = threading.Lock()

    def entries(self) -> list[dict[str, Any]]:
        """The kept definitions; an unreadable file is logged (naming the file and why) and
        read as empty — it is kept until the next change rewrites it."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("%s: cannot read the kept live lines (%s)", self.path, exc.strerror)
            return []
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ValueError(f"format: expected {FORMAT}")
            lines = doc["lines"]
            if not isinstance(lines, list) or len(lines) > MAX_ENTRIES:
                raise ValueError(f"lines: expected a list of at most {MAX_ENTRIES}")
        except (ValueError, KeyError) as exc:
            log.warning(
                "%s: the kept live lines are not readable (%s); none restored", self.path, exc
            )
            return []
        return [e for e in lines if _entry_ok(e, self.path)]

    def _write(self, lines: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"format": FORMAT, "lines": lines}
        write_atomic(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())

    def keep(self, org: str, line: str, spec: dict[str, Any], by: str | None) -> None:
        """Keep (or replace) a line's definition."""
        with self.lock:
            rest = [e for e in self.entries() if (e["org"], e["line"]) != (org, line)]
            entry = {"org": org, "line": line, "spec": spec, "by": by, "at": time.time()}
            self._write([*rest, entry])

    def forget(self, org: str, line: str) -> None:
        """Drop a line's definition (it was stopped); nothing when there is none."""
        with self.lock:
            lines = self.entries()
            rest = [e for e in lines if (e["org"], e["line"]) != (org, line)]
            if len(rest) != len(lines):
                self._write(rest)


def _entry_ok(e: Any, path: Path) -> bool:
    ok = (
        isinstance(e, dict)
        and isinstance(e.get("org"), str)
        and isinstance(e.get("line"), str)
        and isinstance(e.get("spec"), dict)
    )
    if not ok:
        log.warning("%s: an entry without org, line and spec skipped", path)
    return ok
