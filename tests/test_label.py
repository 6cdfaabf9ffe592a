"""`stance label`: the durable files, the queue and the web API (no browser; see
test_label_browser.py for the end-to-end tests in Chromium)."""

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from stance.errors import StanceError
from stance.label.guide import read_guide
from stance.label.pool import read_pool
from stance.label.queue import BadRequest, Conflict, LabelSession, ReviewSession, rank
from stance.label.store import LabeledFile, ReviewedData, atomic_write

LABELS = ["supportive", "skeptical", "neutral"]
MARKUP = '<img src=x onerror="alert(1)"><script>alert(2)</script> & "quotes"'
SENTENCES = [
    ("a-1", "China can be an honest broker between the two sides.", "A"),
    ("a-2", "The two leaders had dinner in the Kremlin.", "A"),
    ("a-3", "Beijing's peace plan is a fig leaf for Moscow.", "A"),
    ("b-1", MARKUP, "B"),
    ("b-2", "Xi framed the trip as a visit of friendship and peace.", "B"),
    ("b-3", "Critics call the plan vague and one-sided.", "B"),
]


def write_pool(folder: Path, rows=SENTENCES, name="pool.csv") -> Path:
    from stance.data.io import write_csv

    path = folder / name
    write_csv(path, ["id", "text", "article"], [list(r) for r in rows])
    return path


def label_session(folder: Path, **options) -> LabelSession:
    if not (folder / "pool.csv").exists():
        write_pool(folder)
    pool = read_pool(str(folder / "pool.csv"))
    store = LabeledFile(folder / "LABELED.csv", pool.columns, LABELS)
    return LabelSession(pool, store, LABELS, guide=read_guide(None, LABELS), **options)


def csv_rows(path: Path) -> list[list[str]]:
    from stance.data.io import parse_csv, read_text_file

    header, rows = parse_csv(read_text_file(path), str(path))
    return [header, *rows]


# -- pool ---------------------------------------------------------------------------------
def test_pool_keeps_columns_drops_empty_and_repeated_texts_and_knows_neighbours(tmp_path):
    rows = [*SENTENCES[:3], ("a-4", "  ", "A"), ("a-5", SENTENCES[0][1], "A")]
    pool = read_pool(str(write_pool(tmp_path, rows)))
    assert pool.columns == ["id", "text", "article"]
    assert [r["id"] for r in pool.rows] == ["a-1", "a-2", "a-3"]
    assert pool.notes == ["1 empty text(s) left out", "1 repeated text(s) shown once"]
    assert pool.neighbours(1) == ([SENTENCES[0][1]], [SENTENCES[2][1], SENTENCES[0][1]])
    assert pool.neighbours(0, before=2, after=1) == ([], [SENTENCES[1][1]])


def test_pool_orders_neighbours_by_an_order_column(tmp_path):
    from stance.data.io import write_csv

    path = tmp_path / "pool.csv"
    write_csv(path, ["text", "article", "order"], [["third", "A", "3"], ["first", "A", "1"], ["second", "A", "2"]])
    pool = read_pool(str(path))
    assert pool.neighbours(0) == (["first", "second"], [])


def test_pool_from_a_text_file_and_its_errors(tmp_path):
    text = tmp_path / "pool.txt"
    text.write_text("One sentence.\n\nTwo sentences.\n", encoding="utf-8")
    pool = read_pool(str(text))
    assert pool.columns == ["text"] and pool.texts == ["One sentence.", "Two sentences."]
    assert pool.neighbours(0) == ([], [])
    with pytest.raises(StanceError, match="no such file"):
        read_pool(str(tmp_path / "missing.csv"))
    (tmp_path / "bad.csv").write_text("id,sentence\n1,x\n", encoding="utf-8")
    with pytest.raises(StanceError, match="no 'text' column"):
        read_pool(str(tmp_path / "bad.csv"))
    with pytest.raises(StanceError, match="standard input"):
        read_pool("-")


# -- LABELED.csv --------------------------------------------------------------------------
def test_labeled_file_is_created_written_through_and_reopened(tmp_path):
    path = tmp_path / "LABELED.csv"
    store = LabeledFile(path, ["id", "text", "article"], LABELS)
    assert csv_rows(path) == [["id", "text", "label", "article"]]  # created at once, label after text
    store.add({"id": "a-1", "text": " Hello. ", "article": "A"}, "neutral")
    assert csv_rows(path)[1:] == [["a-1", "Hello.", "neutral", "A"]]  # on disk when add returns
    store.add({"id": "a-2", "text": "Bye.", "article": "A"}, "skeptical")
    assert store.remove_last() == ("Bye.", "skeptical")
    assert csv_rows(path)[1:] == [["a-1", "Hello.", "neutral", "A"]]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left
    with pytest.raises(StanceError, match="another `stance label`"):
        LabeledFile(path, ["id", "text", "article"], LABELS)  # a second process would clobber it
    store.close()
    again = LabeledFile(path, ["id", "text", "article"], LABELS)
    assert "Hello." in again and again.counts() == {"supportive": 0, "skeptical": 0, "neutral": 1}
    again.close()


def test_labeled_file_rejects_wrong_columns_and_unknown_labels(tmp_path):
    path = tmp_path / "LABELED.csv"
    path.write_text("sentence,stance\nx,neutral\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"missing column\(s\) text, label"):
        LabeledFile(path, ["text"], LABELS)
    path.write_text("text,label\nx,neutral\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"lacks the pool's column\(s\) id"):
        LabeledFile(path, ["id", "text"], LABELS)
    path.write_text("text,label\nx,angry\n", encoding="utf-8")
    with pytest.raises(StanceError, match="row 2: unknown label 'angry'"):
        LabeledFile(path, ["text"], LABELS)
    with pytest.raises(StanceError, match="does not exist"):
        LabeledFile(tmp_path / "no" / "LABELED.csv", ["text"], LABELS)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    atomic_write(path, b"old\n")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        atomic_write(path, b"new\n")
    assert path.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["f.csv"]


# -- the labeling queue -------------------------------------------------------------------
def test_label_skip_undo_and_resume(tmp_path):
    session = label_session(tmp_path)
    run = session.run
    state = session.state()
    assert state["item"]["text"] == SENTENCES[0][1] and state["item"]["before"] == []
    assert state["item"]["after"] == [SENTENCES[1][1], SENTENCES[2][1]]
    assert ["article", "A"] in state["item"]["meta"] and state["item"]["guess"] is None
    assert state["labels"][0]["definition"].startswith("credible")

    state = session.label(0, "supportive", run)
    assert csv_rows(tmp_path / "LABELED.csv")[1:] == [["a-1", SENTENCES[0][1], "supportive", "A"]]
    assert state["item"]["id"] == 1 and state["progress"]["done"] == 1 and state["undo"]["id"] == 0
    state = session.skip(1, run)
    assert state["item"]["id"] == 2 and state["progress"]["skipped"] == 1
    session.label(2, "skeptical", run)
    state = session.undo(2, run)
    assert state["item"]["id"] == 2 and len(csv_rows(tmp_path / "LABELED.csv")) == 2
    session.label(2, "neutral", run)
    for stale in (0, 2):
        with pytest.raises(Conflict):
            session.label(stale, "neutral", run)  # another tab already labeled it
    with pytest.raises(Conflict, match="restarted"):
        session.label(3, "neutral", "old-run")
    with pytest.raises(Conflict, match="another tab"):
        session.undo(0, run)  # the last label is no longer the one this tab saw
    with pytest.raises(BadRequest):
        session.label(3, "angry", run)
    assert [r[2] for r in csv_rows(tmp_path / "LABELED.csv")[1:]] == ["supportive", "neutral"]
    session.store.close()

    resumed = label_session(tmp_path)  # a restart: the skipped sentence is first again, labeled ones never
    assert resumed.state()["item"]["id"] == 1
    assert resumed.queue == [1, 3, 4, 5] and resumed.state()["progress"]["done"] == 2
    resumed.store.close()


def test_skipped_sentences_come_back_after_the_others(tmp_path):
    session = label_session(tmp_path)
    for item in range(6):
        session.skip(item, session.run) if item == 0 else session.label(item, "neutral", session.run)
    state = session.state()
    assert state["item"]["id"] == 0 and state["progress"]["remaining"] == 1
    state = session.label(0, "neutral", session.run)
    assert state["item"] is None and state["progress"] == {**state["progress"], "done": 6, "remaining": 0}
    session.store.close()


def test_a_failed_write_is_reported_and_nothing_moves(tmp_path, monkeypatch):
    session = label_session(tmp_path)
    monkeypatch.setattr(session.store, "_write", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        session.label(0, "neutral", session.run)
    assert session.state()["item"]["id"] == 0 and len(session.store) == 0
    session.store.close()


def test_two_threads_labeling_the_same_sentence_write_it_once(tmp_path):
    session = label_session(tmp_path)
    outcomes = []

    def press(label):
        try:
            session.label(0, label, session.run)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=press, args=(x,)) for x in ("supportive", "skeptical", "neutral")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "saved"]
    assert len(csv_rows(tmp_path / "LABELED.csv")) == 2
    session.store.close()


def test_rank_follows_suggest_then_uncertainty():
    from stance.suggest import select

    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet([1, 1, 1], size=40)
    texts = [f"sentence number {i} about topic {i % 7}" for i in range(40)]
    order = rank(probabilities, texts, diversity=0.5, head=10)
    assert order[:10] == select(probabilities, texts, 10, diversity=0.5)
    assert sorted(order) == list(range(40))
    assert rank(probabilities[:2], ["a", "b"], 0.5) in ([0, 1], [1, 0])  # no words: uncertainty only


def test_retraining_in_the_background_reranks_but_keeps_the_sentence_on_screen(tmp_path):
    session = label_session(tmp_path, retrain_every=2)
    assert session.state()["model"] == {**session.state()["model"], "name": None, "next_retrain": 2}
    session.label(0, "supportive", session.run)
    session.label(1, "neutral", session.run)
    on_screen = session.state()["item"]["id"]
    session.wait_for_retrain()
    state = session.state()
    assert state["model"]["name"] == "TF-IDF retrained on 2 labels" and state["model"]["retrains"] == 1
    assert state["item"]["id"] == on_screen and state["item"]["guess"]["label"] in LABELS
    assert sorted(session.queue) == [2, 3, 4, 5]
    session.store.close()


def test_a_model_orders_the_queue_as_suggest_and_guesses(tmp_path):
    from stance.config import TfidfConfig
    from stance.models import create_model
    from stance.suggest import select

    model = create_model(TfidfConfig(), LABELS).fit(
        ["an honest broker", "a fig leaf", "they had dinner", "welcome mediation", "biased plan", "a meeting"],
        ["supportive", "skeptical", "neutral", "supportive", "skeptical", "neutral"],
    )
    session = label_session(tmp_path, model=model, model_name="m", retrain_every=0)
    texts = [s[1] for s in SENTENCES]
    expected = select(model.predict_proba(texts), texts, len(texts))
    assert session.queue == expected
    guess = session.state()["item"]["guess"]
    assert guess["label"] in LABELS and abs(sum(guess["scores"].values()) - 1) < 0.01
    session.store.close()


def test_pace_is_labels_per_minute_over_recent_labels(tmp_path):
    session = label_session(tmp_path)
    session.times.extend([0.0, 6.0, 12.0])
    assert session.pace() == 10.0
    session.store.close()


# -- review of audit flags ----------------------------------------------------------------
def review_setup(tmp_path, flagged_ids=("a-2", "b-1")):
    from stance.data.io import write_csv

    data = tmp_path / "DATA.csv"
    write_csv(data, ["id", "text", "label", "article"], [[i, t, "neutral", a] for i, t, a in SENTENCES])
    texts = {i: t for i, t, _ in SENTENCES}
    flagged = [
        {
            "rank": n,
            "id": i,
            "text": texts[i],
            "group": i[0].upper(),
            "given": "neutral",
            "suggested": "skeptical",
            "p_given": 0.1,
            "p_suggested": 0.8,
        }
        for n, i in enumerate(flagged_ids, 1)
    ]

    def session():
        store = ReviewedData(data, None, "id")
        return ReviewSession(store, flagged, LABELS, context=read_pool(str(data)), audit_name="audit")

    return data, session


def test_review_keeps_changes_undoes_and_resumes(tmp_path):
    data, make = review_setup(tmp_path)
    before, original = data.read_bytes(), csv_rows(data)
    session = make()
    state = session.state()
    assert state["item"]["text"] == SENTENCES[1][1] and state["item"]["given"] == "neutral"
    assert state["item"]["before"] == [SENTENCES[0][1]] and ["id", "a-2"] in state["item"]["meta"]

    session.label(state["item"]["id"], "neutral", session.run)  # keep
    assert data.read_bytes() == before
    state = session.label(session.state()["item"]["id"], "skeptical", session.run)  # change
    rows = csv_rows(data)
    assert rows[4][2] == "skeptical" and rows[:4] + rows[5:] == original[:4] + original[5:]
    log = [json.loads(x) for x in (tmp_path / "DATA.review.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["key"], e["decision"], e["label"]) for e in log] == [
        ("a-2", "keep", "neutral"),
        ("b-1", "change", "skeptical"),
    ]
    assert state["item"] is None and state["progress"]["counts"] == {"kept": 1, "changed": 1}

    state = session.undo(state["undo"]["id"], session.run)
    assert csv_rows(data)[4][2] == "neutral" and state["item"]["text"] == MARKUP
    last_line = (tmp_path / "DATA.review.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last_line)["decision"] == "undo"
    session.data.close()

    resumed = make()  # the kept flag is not shown again; the undone one is
    assert resumed.state()["item"]["text"] == MARKUP and resumed.state()["progress"]["done"] == 1
    resumed.data.close()


def test_review_refuses_a_row_changed_on_disk_and_ignores_a_torn_log_line(tmp_path):
    data, make = review_setup(tmp_path)
    session = make()
    row = "a-2,The two leaders had dinner in the Kremlin.,"
    data.write_text(data.read_text(encoding="utf-8").replace(row + "neutral", row + "supportive"), encoding="utf-8")
    with pytest.raises(Conflict, match="now has label 'supportive'"):
        session.label(session.state()["item"]["id"], "skeptical", session.run)
    session.data.close()
    log = tmp_path / "DATA.review.jsonl"
    log.write_text(
        json.dumps({"key": "a-2", "decision": "keep", "label": "supportive"}) + '\n{"key": "b-1", "dec',
        encoding="utf-8",
    )
    store = ReviewedData(data, None, "id")
    assert [e["key"] for e in store.read_log()] == ["a-2"]
    store.append_log({"key": "b-1", "decision": "keep", "label": "neutral"})
    assert [e["key"] for e in store.read_log()] == ["a-2", "b-1"]  # the torn line did not swallow it
    store.close()


# -- the web API --------------------------------------------------------------------------
@pytest.fixture
def api(tmp_path):
    from starlette.testclient import TestClient

    from stance.label.app import create_app

    session = label_session(tmp_path)
    client = TestClient(create_app(session, "s3cret", 8765), base_url="http://127.0.0.1:8765")
    yield client, session
    session.store.close()


def test_every_request_needs_the_token(api):
    client, _ = api
    for path in ("/", "/api/state", "/static/app.js", "/static/style.css"):
        response = client.get(path)
        assert response.status_code == 403 and "token" in response.text
    assert client.get("/api/state", params={"token": "wrong"}).status_code == 403
    assert client.post("/api/label", json={"id": 0, "label": "neutral"}).status_code == 403


def test_the_url_token_becomes_a_cookie_for_the_page_and_a_header_for_actions(api, tmp_path):
    client, session = api
    first = client.get("/?token=s3cret", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=lax" in first.headers["set-cookie"]
    page = client.get("/")  # the cookie
    assert page.status_code == 200 and 'content="s3cret"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/app.js").status_code == 200
    # Actions need the header: a cookie alone (what a cross-site form would send) is refused.
    body = {"id": 0, "label": "neutral", "run": session.run}
    assert client.post("/api/label", json=body).status_code == 403
    headers = {"X-Stance-Token": "s3cret"}
    evil = {**headers, "Origin": "http://evil.example"}
    assert client.post("/api/label", json=body, headers=evil).status_code == 403
    saved = client.post("/api/label", json=body, headers=headers)
    assert saved.status_code == 200 and saved.json()["item"]["id"] == 1
    assert csv_rows(tmp_path / "LABELED.csv")[1][2] == "neutral"


def test_host_header_is_checked(api):
    client, _ = api
    response = client.get("/api/state", headers={"X-Stance-Token": "s3cret", "Host": "evil.example:8765"})
    assert response.status_code == 400
    assert client.get("/api/state", headers={"X-Stance-Token": "s3cret", "Host": "localhost:8765"}).status_code == 200


def test_api_conflicts_bad_requests_and_failed_writes(api, monkeypatch):
    client, session = api
    headers = {"X-Stance-Token": "s3cret"}
    client.post("/api/label", json={"id": 0, "label": "neutral", "run": session.run}, headers=headers)
    stale = client.post("/api/label", json={"id": 0, "label": "skeptical", "run": session.run}, headers=headers)
    assert stale.status_code == 409 and stale.json()["state"]["item"]["id"] == 1
    unknown = {"id": 1, "label": "x", "run": session.run}
    assert client.post("/api/label", json=unknown, headers=headers).status_code == 400
    assert client.post("/api/skip", content=b"not json", headers=headers).status_code == 400
    assert client.post("/api/undo", content=b"[1]", headers=headers).status_code == 400
    assert client.post("/api/label", content=b"x" * 100_000, headers=headers).status_code == 413
    monkeypatch.setattr(session.store, "_write", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    failed = client.post("/api/label", json={"id": 1, "label": "neutral", "run": session.run}, headers=headers)
    assert failed.status_code == 500 and failed.json()["error"] == "NOT saved: disk full"


def test_text_is_data_never_markup(api, tmp_path):
    client, session = api
    for item in range(3):
        session.label(item, "neutral", session.run)
    state = client.get("/api/state", headers={"X-Stance-Token": "s3cret"}).json()
    assert state["item"]["text"] == MARKUP  # JSON carries it verbatim; the page sets it as text
    page_source = (Path(__file__).resolve().parents[1] / "stance" / "label" / "static" / "app.js").read_text()
    import re

    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|eval\(", page_source)
    assert "textContent" in page_source


# -- the command line ---------------------------------------------------------------------
def test_port_in_use_is_one_clear_error():
    from stance.label.app import bind

    taken = bind(0)
    try:
        with pytest.raises(StanceError, match=f"port {taken.getsockname()[1]} is in use"):
            bind(taken.getsockname()[1])
    finally:
        taken.close()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["label", "{tmp}/missing.csv", "--out", "{tmp}/L.csv"], "missing.csv: no such file"),
        (["label", "{tmp}/pool.csv"], "give a POOL and --out"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/pool.csv"], "is the pool itself"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/wrong.csv"], r"missing column\(s\) label"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/L.csv", "--audit", "{tmp}/pool.csv"], "leave out POOL"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/L.csv", "--labels", "yes"], "at least two distinct labels"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/L.csv", "--port", "70000"], "not a port number"),
        (["label", "{tmp}/pool.csv", "--out", "{tmp}/L.csv", "--model", "{tmp}/nomodel"], "nomodel"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, arguments, message):
    import re

    from stance.cli.main import main

    write_pool(tmp_path)
    (tmp_path / "wrong.csv").write_text("id,text,article\n", encoding="utf-8")
    port = [] if "--port" in arguments else ["--port", "0"]  # the default port may be taken on this machine
    code = main([a.replace("{tmp}", str(tmp_path)) for a in arguments] + port)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and re.search(message, err[0]), err


def test_label_command_serves_until_stopped(tmp_path, monkeypatch, capsys):
    """The CLI path end to end, minus the network: the session it builds is served."""
    import stance.label.app as app
    from stance.cli.main import main

    served = {}
    monkeypatch.setattr(
        app,
        "serve",
        lambda session, sock, open_browser: served.update(
            session=session, port=sock.getsockname()[1], open_browser=open_browser
        ),
    )
    write_pool(tmp_path)
    assert (
        main(
            [
                "label",
                str(tmp_path / "pool.csv"),
                "--out",
                str(tmp_path / "L.csv"),
                "--no-browser",
                "--port",
                "0",
                "--retrain-every",
                "5",
            ]
        )
        == 0
    )
    assert served["port"] > 0 and served["open_browser"] is False and served["session"].retrain_every == 5
    assert "6 sentences, 0 labeled" in capsys.readouterr().err
    assert (tmp_path / "L.csv").exists()


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory) -> Path:
    """A TF-IDF model folder fit on the seed data, saved as training saves one (weights plus
    manifest) but without the cross-validation and reports, which cost this file 20-30 s."""
    import dataclasses

    from conftest import SEEDS
    from stance.config import TfidfConfig, TrainConfig
    from stance.data.labeled import load_labeled
    from stance.model_folder import build_manifest, write_manifest
    from stance.models import create_model

    data = load_labeled(SEEDS, LABELS)
    folder = tmp_path_factory.mktemp("models") / "tfidf"
    folder.mkdir()
    create_model(TfidfConfig(), LABELS).fit(data.texts, data.labels).save(folder)
    config = dataclasses.asdict(TrainConfig(model=TfidfConfig()))
    manifest = build_manifest(
        kind="tfidf",
        labels=LABELS,
        stance_labels=LABELS[:2],
        target="china-mediator",
        config=config,
        data_fingerprint=data.fingerprint,
        metrics={},
    )
    write_manifest(folder, manifest)
    return folder


def test_a_model_folder_ranks_the_pool_and_its_training_data_joins_the_retraining(seed_model, tmp_path, monkeypatch):
    import stance.label.app as app
    from stance.cli.main import main
    from stance.models import load_model
    from stance.suggest import select

    served = {}
    monkeypatch.setattr(app, "serve", lambda session, sock, open_browser: served.update(session=session))
    write_pool(tmp_path)
    assert (
        main(
            [
                "label",
                str(tmp_path / "pool.csv"),
                "--out",
                str(tmp_path / "L.csv"),
                "--model",
                str(seed_model),
                "--no-browser",
                "--port",
                "0",
            ]
        )
        == 0
    )
    session = served["session"]
    model, _ = load_model(seed_model)
    texts = [s[1] for s in SENTENCES]
    assert session.queue == select(model.predict_proba(texts), texts, len(texts))  # as `stance suggest` orders them
    assert session.state()["item"]["guess"] is not None and session.state()["model"]["name"].endswith("(tfidf)")
    train_texts, _ = session.training_data()
    assert len(train_texts) == 279  # the seed data the model was trained on, before any new label


def test_pool_rows_that_already_carry_a_label_are_left_out_but_stay_context(tmp_path):
    from stance.data.io import write_csv

    path = tmp_path / "new.csv"  # as extract_sentences.py writes it: known sentences keep their label
    write_csv(
        path,
        ["id", "text", "label", "article"],
        [["1", "Known one.", "neutral", "A"], ["2", "New one.", "", "A"], ["3", "Odd one.", "maybe", "A"]],
    )
    pool = read_pool(str(path), labels=LABELS)
    assert pool.texts == ["New one.", "Odd one."] and pool.neighbours(0) == (["Known one."], ["Odd one."])
    assert "1 row(s) already labeled in the pool left out" in pool.notes
    store = LabeledFile(tmp_path / "L.csv", pool.columns, LABELS)
    assert store.header == ["id", "text", "label", "article"]  # the pool's own label column is filled
    store.close()
    write_csv(path, ["text", "label"], [["Known one.", "neutral"]])
    with pytest.raises(StanceError, match="no unlabeled text"):
        read_pool(str(path), labels=LABELS)


def test_a_port_in_use_stops_the_command_with_one_line(tmp_path, capsys):
    from stance.cli.main import main
    from stance.label.app import bind

    write_pool(tmp_path)
    taken = bind(0)
    try:
        port = str(taken.getsockname()[1])
        code = main(
            ["label", str(tmp_path / "pool.csv"), "--out", str(tmp_path / "L.csv"), "--port", port, "--no-browser"]
        )
    finally:
        taken.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        code == 2
        and err[-1]
        == f"error: port {port} is in use on 127.0.0.1 (another `stance label`?): "
        "pass --port N, or --port 0 for any free port"
    )
    assert not (tmp_path / "L.csv").exists()  # the port is checked before any work or file
