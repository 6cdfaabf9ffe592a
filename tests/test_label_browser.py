"""`stance label` end to end: the real server process, driven in headless Chromium (Debian's
`chromium` package, through Playwright), with LABELED.csv / DATA.csv checked after each step.

.ci/run installs both; without /usr/bin/chromium these tests are skipped with that reason.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (.ci/run installs it)")

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
MARKUP = '<img src=x onerror="alert(1)"><script>alert(2)</script> & <b>bold</b>'
POOL = [
    ("a-1", "China can be an honest broker between the two sides.", "A"),
    ("a-2", "The two leaders had dinner in the Kremlin.", "A"),
    ("a-3", "Beijing's peace plan is a fig leaf for Moscow.", "A"),
    ("b-1", MARKUP, "B"),
    ("b-2", "Xi framed the trip as a visit of friendship and peace.", "B"),
    ("b-3", "Critics call the plan vague and one-sided.", "B"),
]
TEXT = {i: t for i, t, _ in POOL}


class Server:
    """`python -m stance label ...` as a child process on a free port; the URL from its stdout."""

    def __init__(self, *arguments: str, log: Path):
        self.log = open(log, "ab")  # noqa: SIM115 - the server process writes to it until stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stance", "label", *arguments, "--no-browser", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        deadline = time.monotonic() + 60
        line = b""
        while b"\n" not in line:
            ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready or self.process.poll() is not None:
                self.kill()
                raise AssertionError(f"the server did not start: {Path(log).read_text()}")
            line += os.read(self.process.stdout.fileno(), 4096)
        self.url = next(w for w in line.decode().split() if w.startswith("http://"))

    def interrupt(self) -> int:
        """Ctrl+C, as a user stops the server; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(20)

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up, as after a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.process.stdout.close()
        self.log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(*arguments: str) -> Server:
        server = Server(*arguments, log=tmp_path / "server.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def write_pool(path: Path) -> Path:
    from stance.data.io import write_csv

    write_csv(path, ["id", "text", "article"], [list(row) for row in POOL])
    return path


def rows(path: Path) -> list[list[str]]:
    from stance.data.io import parse_csv, read_text_file

    return parse_csv(read_text_file(path), str(path))[1]


def wait_for_progress(page, prefix: str) -> None:
    page.wait_for_function(
        "p => document.querySelector('#progress').textContent.startsWith(p)", arg=prefix, timeout=10_000
    )


def sentence(page) -> str:
    return page.text_content("#sentence")


def test_keys_undo_reload_and_kill_9_lose_nothing(browser, servers, tmp_path):
    pool, out = write_pool(tmp_path / "pool.csv"), tmp_path / "LABELED.csv"
    server = servers(str(pool), "--out", str(out))
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url)
    page.wait_for_selector("#sentence:not(:empty)")
    assert "token" not in page.url  # the token became a cookie and left the address bar
    assert sentence(page) == TEXT["a-1"] and page.text_content("#after") == TEXT["a-2"] + TEXT["a-3"]
    assert "credible, impartial" in page.text_content("#defs")  # the guide's definitions at hand
    assert page.is_hidden("#guess")  # the model's guess is off by default
    assert out.exists() and rows(out) == []

    page.keyboard.press("1")
    wait_for_progress(page, "1 labeled · 5 to go · supportive 1 · skeptical 0 · neutral 0")
    assert rows(out) == [["a-1", TEXT["a-1"], "supportive", "A"]]
    assert sentence(page) == TEXT["a-2"] and page.text_content("#before") == TEXT["a-1"]
    page.keyboard.press("2")
    wait_for_progress(page, "2 labeled")
    assert rows(out)[1] == ["a-2", TEXT["a-2"], "skeptical", "A"]
    page.keyboard.press("u")  # undo: the row leaves LABELED.csv, the sentence comes back
    wait_for_progress(page, "1 labeled")
    assert rows(out) == [["a-1", TEXT["a-1"], "supportive", "A"]] and sentence(page) == TEXT["a-2"]
    page.click("#buttons button[data-label=neutral]")  # the mouse does the same
    wait_for_progress(page, "2 labeled")
    assert rows(out)[1] == ["a-2", TEXT["a-2"], "neutral", "A"]

    page.reload()  # a closed or reloaded tab: the server still knows where it stands
    page.wait_for_selector("#sentence:not(:empty)")
    assert sentence(page) == TEXT["a-3"]
    page.keyboard.press("s")
    page.wait_for_function("t => document.querySelector('#sentence').textContent === t", arg=MARKUP)
    assert len(rows(out)) == 2  # a skip writes nothing
    # Markup in a sentence is text: no element made, no script run.
    assert page.locator("#sentence *").count() == 0 and page.locator("img").count() == 0 and dialogs == []
    page.keyboard.press("3")
    wait_for_progress(page, "3 labeled")
    assert rows(out)[2] == ["b-1", MARKUP, "neutral", "B"]

    server.kill()  # kill -9: every acknowledged label is already on disk
    assert [r[0] for r in rows(out)] == ["a-1", "a-2", "b-1"]
    server = servers(str(pool), "--out", str(out))
    page.goto(server.url)
    page.wait_for_selector("#sentence:not(:empty)")
    assert sentence(page) == TEXT["a-3"]  # the first unlabeled sentence; labeled ones never again
    wait_for_progress(page, "3 labeled · 3 to go · supportive 1 · skeptical 0 · neutral 2")
    page.keyboard.press("g")
    assert page.is_visible("#guess") and "no model guess yet" in page.text_content("#guess")
    page.keyboard.press("2")
    wait_for_progress(page, "4 labeled")
    assert rows(out)[3] == ["a-3", TEXT["a-3"], "skeptical", "A"]
    page.close()


def test_two_tabs_do_not_clobber_each_other(browser, servers, tmp_path):
    pool, out = write_pool(tmp_path / "pool.csv"), tmp_path / "LABELED.csv"
    server = servers(str(pool), "--out", str(out))
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        page.goto(server.url)
        page.wait_for_selector("#sentence:not(:empty)")
    first.keyboard.press("1")
    wait_for_progress(first, "1 labeled")
    assert sentence(second) == TEXT["a-1"]  # the second tab is behind...
    second.keyboard.press("2")  # ...so its key is refused, and it is shown where things stand
    second.wait_for_function("() => document.querySelector('#status').textContent.includes('another tab')")
    assert sentence(second) == TEXT["a-2"] and rows(out) == [["a-1", TEXT["a-1"], "supportive", "A"]]
    second.keyboard.press("3")
    wait_for_progress(second, "2 labeled")
    first.keyboard.press("u")  # the first tab's last label is no longer the last one: refused
    first.wait_for_function("() => document.querySelector('#status').textContent.includes('another tab')")
    assert [r[2] for r in rows(out)] == ["supportive", "neutral"]
    context.close()
    assert server.interrupt() == 0
    assert "stopped: 2 done, 4 to go; all of it is saved in" in (tmp_path / "server.log").read_text()


def test_review_an_audit_flag(browser, servers, tmp_path):
    from stance.data.io import write_csv

    cues = {
        "supportive": [
            "China is an honest broker for peace",
            "Beijing is a credible and impartial mediator",
            "China's mediation is welcome and constructive",
            "Xi can help bring peace as an honest broker",
        ],
        "skeptical": [
            "The peace plan is a fig leaf for Moscow",
            "China is biased toward Russia, not impartial",
            "Beijing's mediation is a self-serving fig leaf",
            "The plan is vague, one-sided and biased",
        ],
        "neutral": [
            "The leaders had dinner in the Kremlin",
            "Trade volumes rose last year",
            "The delegation arrived on Monday by plane",
            "They signed agreements on energy and trade",
        ],
    }
    table = [
        [f"{article}-{n:02d}", f"{text} ({article}{n}).", label, article]
        for article in "ABC"
        for n, (label, text) in enumerate(((label, text) for label, texts in cues.items() for text in texts), start=1)
    ]
    table[5][2] = "supportive"  # A-06, a skeptical sentence, mislabeled
    table[21][2] = "skeptical"  # B-10, a neutral one
    data = tmp_path / "DATA.csv"
    write_csv(data, ["id", "text", "label", "article"], table)
    original = data.read_bytes()
    server = servers("--audit", str(data), "--audit-model", "tfidf")
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("#sentence:not(:empty)")
    assert sentence(page) == "Trade volumes rose last year (B10)."
    assert "given: skeptical" in page.text_content("#review") and "suggested: neutral" in page.text_content("#review")
    assert "The leaders had dinner in the Kremlin (B9)." in page.text_content("#before")  # its neighbours

    page.keyboard.press("3")  # change to neutral: DATA.csv rewritten, one line in the review log
    wait_for_progress(page, "1 reviewed · 1 to go · kept 0 · changed 1")
    assert next(r for r in rows(data) if r[0] == "B-10")[2] == "neutral"
    assert [r for r in rows(data) if r[0] != "B-10"] == [r for r in table if r[0] != "B-10"]
    log = tmp_path / "DATA.review.jsonl"
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert (entry["id"], entry["given"], entry["decision"], entry["label"]) == (
        "B-10",
        "skeptical",
        "change",
        "neutral",
    )

    assert sentence(page) == "China is biased toward Russia, not impartial (A6)."
    page.keyboard.press("k")  # keep the given label: logged, DATA.csv untouched
    wait_for_progress(page, "2 reviewed · 0 to go · kept 1 · changed 1")
    assert next(r for r in rows(data) if r[0] == "A-06")[2] == "supportive"
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[-1])["decision"] == "keep"
    assert page.is_visible("#done")

    page.keyboard.press("u")
    wait_for_progress(page, "1 reviewed")
    page.keyboard.press("u")  # undoing the change puts the old label back
    wait_for_progress(page, "0 reviewed")
    assert data.read_bytes() == original
    assert [json.loads(x)["decision"] for x in log.read_text(encoding="utf-8").splitlines()] == [
        "change",
        "keep",
        "undo",
        "undo",
    ]
    page.close()


def test_a_retrained_model_reranks_and_its_guess_shows_on_demand(browser, servers, tmp_path):
    pool, out = write_pool(tmp_path / "pool.csv"), tmp_path / "LABELED.csv"
    server = servers(str(pool), "--out", str(out), "--retrain-every", "2")
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("#sentence:not(:empty)")
    assert "next retrain in 2 label(s)" in page.text_content("#model")
    page.keyboard.press("1")
    wait_for_progress(page, "1 labeled")
    page.keyboard.press("2")
    wait_for_progress(page, "2 labeled")
    page.wait_for_function(
        "() => document.querySelector('#model').textContent.includes('retrained on 2 labels')", timeout=20_000
    )
    assert page.is_hidden("#guess")
    page.keyboard.press("g")
    assert page.is_visible("#guess") and page.text_content("#guess").startswith("model guess: ")
    page.keyboard.press("g")
    assert page.is_hidden("#guess")
    page.close()
