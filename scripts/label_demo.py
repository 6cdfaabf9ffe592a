"""Drive `stance label` in headless Chromium with the keyboard only: labels per minute, and
the README's screenshot.

    python scripts/label_demo.py [--model models/tfidf] [-n 60] [--screenshot docs/label.png]

The pool is the seed sentences without their labels. For each sentence on screen the script
presses the key of its seed label, as an annotator who knows the answer would, and waits
until the page shows the next one (which it does only once the label is fsynced to
LABELED.csv). So the pace measured is the tool's ceiling on this machine: key, request,
atomic write, answer, render. A person's reading time comes on top. At the end LABELED.csv
must hold exactly the keys pressed. Needs Debian's chromium (/usr/bin/chromium) and
playwright, as the browser tests do.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stance.data.io import parse_csv, read_text_file, write_csv  # noqa: E402
from stance.data.labeled import load_labeled  # noqa: E402

LABELS = ["supportive", "skeptical", "neutral"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]  # containers often have a tiny /dev/shm


def start_server(arguments: list[str], folder: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """The server runs in `folder`, so the page shows short file names."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stance", "label", *arguments, "--no-browser", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=open(log, "wb"),  # noqa: SIM115 - the server writes to it for its whole life
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )
    line = b""
    deadline = time.monotonic() + 120
    while b"\n" not in line:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready or process.poll() is not None:
            process.kill()
            raise SystemExit(f"the server did not start: {log.read_text()}")
        line += os.read(process.stdout.fileno(), 4096)
    return process, next(w for w in line.decode().split() if w.startswith("http://"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="rank the pool with this model folder (as `stance label --model`)")
    parser.add_argument("-n", type=int, default=60, help="labels to enter (default 60)")
    parser.add_argument("--screenshot", help="write a PNG of the page here at the end")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    seeds = ROOT / "seeds" / "sentences.csv"
    labeled = load_labeled(seeds, LABELS)
    gold = dict(zip(labeled.texts, labeled.labels))
    header, rows = parse_csv(read_text_file(seeds), str(seeds))
    keep = [i for i, name in enumerate(header) if name != "label"]
    with tempfile.TemporaryDirectory() as folder:
        pool, out = Path(folder) / "pool.csv", Path(folder) / "LABELED.csv"
        write_csv(pool, [header[i] for i in keep], [[row[i] for i in keep] for row in rows])
        model = ["--model", str(Path(args.model).resolve())] if args.model else []
        process, url = start_server(
            ["pool.csv", "--out", "LABELED.csv", *model], Path(folder), Path(folder) / "server.log"
        )
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1100, "height": 1000})
                page.goto(url)
                page.wait_for_selector("#sentence:not(:empty)")
                keys = {b.split()[1]: b.split()[0] for b in page.locator("#buttons button").all_text_contents()}
                pressed, latencies = [], []
                started = time.perf_counter()
                for done in range(1, args.n + 1):
                    text = page.text_content("#sentence")
                    before = time.perf_counter()
                    page.keyboard.press(keys[gold[text]])
                    page.wait_for_function(
                        "p => document.querySelector('#progress').textContent.startsWith(p)",
                        arg=f"{done} labeled",
                        polling=5,
                    )
                    latencies.append(time.perf_counter() - before)
                    pressed.append((text, gold[text]))
                elapsed = time.perf_counter() - started
                if args.screenshot:
                    page.keyboard.press("g")  # show the model's guess in the picture
                    page.wait_for_timeout(300)
                    page.screenshot(path=args.screenshot, full_page=True)
                progress = page.text_content("#progress")
                model = page.text_content("#model")
                browser.close()
        finally:
            process.kill()
            process.wait()
        out_header, out_rows = parse_csv(read_text_file(out), str(out))
        saved = [(r[out_header.index("text")], r[out_header.index("label")]) for r in out_rows]
    if saved != pressed:
        raise SystemExit(f"LABELED.csv does not hold the {len(pressed)} labels pressed")
    print(
        f"{args.n} labels in {elapsed:.1f} s, keyboard only: {60 * args.n / elapsed:.0f} labels/minute "
        f"(median {1000 * statistics.median(latencies):.0f} ms from key to the next sentence, "
        f"max {1000 * max(latencies):.0f} ms); LABELED.csv holds all {len(saved)}"
    )
    print(f"page: {progress}\n      {model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
