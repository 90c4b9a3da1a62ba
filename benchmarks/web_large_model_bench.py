"""A large model's page in a real browser: how long a user waits, from following the model's
link, until its page is usable — the parameter list filled, the value network drawn and the
form editor's fields in place, the page laid out (one animation frame after them).

Models: :func:`lifecycle_bench.generate_model` with 20 parts per product and 10 materials, at
10, 30 and 100 products (200, 600 and 2,000 parts). Against a fresh service (SQLite, the demo
seed, uvicorn on loopback) and Debian's Chromium driven by Playwright (headless, 1440 × 900,
a fresh browser context per opening: no cache).

    .venv/bin/python benchmarks/web_large_model_bench.py [--repeat 3] [--products 10 30 100]

Writes benchmarks/results/web_large_model.json: per size the median and maximum of ``repeat``
openings (s) and the page's element count, and under ``before`` the figures of commit 961f924,
where the form drew every part's fields up front, the value network every part and the
parameter list a field per parameter (2026-12-05, one opening each): 30 products usable after
10.8 s (134,332 elements), 100 products after 125.2 s (439,472 elements)."""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from junkan.api.local import local_service
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.db import Settings

sys.path.insert(0, str(Path(__file__).parent))
from lifecycle_bench import generate_model  # noqa: E402

OUT = Path(__file__).parent / "results" / "web_large_model.json"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
UPLOAD = """async (text) => { const fd = new FormData();
  fd.append('file', new Blob([text], {type: 'application/json'}), 'large.json');
  const r = await fetch('/api/models', {method: 'POST', body: fd,
                                        headers: {'X-Junkan-CSRF': '1'}});
  if (!r.ok) throw new Error(await r.text());
  return (await r.json()).id; }"""
LAID_OUT = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def signed_in(browser: Any, url: str) -> Any:
    """A fresh context's page, signed in as the demo user."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.goto(f"{url}/#/login")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    return page


def opening(browser: Any, url: str, model_id: int) -> dict[str, float]:
    """Seconds from following the model's link until each part of its page is in place."""
    page = signed_in(browser, url)
    try:
        t0 = time.perf_counter()
        page.goto(f"{url}/#/models/{model_id}")
        # a field per parameter, or (a long list) their groups
        page.locator("#params .param, #params .param-group").first.wait_for(
            state="attached", timeout=600_000)
        params = time.perf_counter() - t0
        page.wait_for_function("() => (document.getElementById('network').data || []).length",
                               timeout=600_000)
        network = time.perf_counter() - t0
        page.locator("#mf-root .mf-field").first.wait_for(state="attached", timeout=600_000)
        form = time.perf_counter() - t0
        page.evaluate(LAID_OUT)
        usable = time.perf_counter() - t0
        elements = page.evaluate("() => document.querySelectorAll('*').length")
        return {"params_s": params, "network_s": network, "form_s": form,
                "usable_s": usable, "elements": elements}
    finally:
        page.context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--products", type=int, nargs="+", default=[10, 30, 100])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    sizes: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw, local_service(
            Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"), seed=True) as url:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for n in args.products:
                doc = generate_model(n_products=n, n_parts=20, n_materials=10, n_years=10)
                page = signed_in(browser, url)
                model_id = page.evaluate(UPLOAD, json.dumps(doc))
                page.context.close()
                runs = [opening(browser, url, model_id) for _ in range(args.repeat)]
                row: dict[str, Any] = {"products": n, "parts": n * 20,
                                       "elements": runs[-1]["elements"]}
                for key in ("params_s", "network_s", "form_s", "usable_s"):
                    values = [r[key] for r in runs]
                    row[key.replace("_s", "_median_s")] = round(statistics.median(values), 3)
                    row[key.replace("_s", "_max_s")] = round(max(values), 3)
                sizes.append(row)
                print(json.dumps(row), flush=True)
        finally:
            browser.close()
    out = {
        "benchmark": "a large model's page in Chromium",
        "command": "python " + " ".join(["benchmarks/web_large_model_bench.py", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "repeat": args.repeat,
        "sizes": sizes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
