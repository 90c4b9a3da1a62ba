"""Write the published JSON Schema of a grading record:
``python -m junkan.grading.publish`` (re-run after changing :mod:`junkan.grading.schema`)."""

from __future__ import annotations

import json
from pathlib import Path

from junkan.grading.api import json_schema

TARGET = Path(__file__).resolve().parents[1] / "data" / "grading" / "item.schema.json"

if __name__ == "__main__":  # pragma: no cover
    TARGET.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(TARGET)
