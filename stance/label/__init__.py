"""`stance label`: label sentences in the browser, most informative first, nothing ever lost.

`run_label` is the one entry point the CLI calls. It checks every input before the server
starts (so bad input is one line and exit code 2), builds a labeling or a review session,
and serves it. Heavy libraries (scikit-learn, uvicorn, the models) load only here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.errors import StanceError

DEFAULT_PORT = 8765


def run_label(
    pool: str | None = None,
    out: str | None = None,
    model: str | None = None,
    audit: str | None = None,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    labels: Sequence[str] | None = None,
    retrain_every: int = 25,
    diversity: float = 0.5,
    guide: str | None = None,
    audit_model: str = "ensemble",
    group: str = "article",
    review_log: str | None = None,
) -> int:
    """Label POOL into OUT (optionally ranked by MODEL), or review AUDIT's suspicious labels."""
    if not 0 <= port <= 65535:
        raise StanceError(f"label: --port {port} is not a port number (0-65535; 0 picks a free one)")
    if retrain_every < 0:
        raise StanceError("label: --retrain-every must not be negative (0 turns retraining off)")
    if audit is not None and (pool is not None or out is not None or model is not None):
        raise StanceError("label: --audit reviews DATA.csv in place; leave out POOL, --out and --model")
    if audit is None and (pool is None or out is None):
        raise StanceError("label: give a POOL and --out LABELED.csv (or --audit DATA.csv to review labels)")
    from stance.label import app

    sock = app.bind(port)  # first: a taken port must not cost an audit or leave a new file
    try:
        if audit is not None:
            session, closing = _review_session(audit, labels, guide, audit_model, group, review_log)
        else:
            session, closing = _label_session(pool, out, model, labels, retrain_every, diversity, guide)
    except BaseException:
        sock.close()
        raise
    try:
        app.serve(session, sock, open_browser)
    except KeyboardInterrupt:
        pass  # Ctrl+C is how the server is meant to stop; uvicorn re-raises it after shutting down
    finally:
        sock.close()
        closing()
    state = session.state()
    saved_in = state["files"].get("out") or state["files"].get("data")
    print(
        f"stopped: {state['progress']['done']} done, {state['progress']['remaining']} to go; "
        f"all of it is saved in {saved_in}",
        file=sys.stderr,
    )
    return 0


def _label_set(labels: Sequence[str] | None) -> list[str]:
    from stance.config import DataConfig

    chosen = [x.strip() for x in labels if x.strip()] if labels else list(DataConfig().labels)
    if len(chosen) < 2 or len(set(chosen)) < len(chosen):
        raise StanceError(f"label: --labels needs at least two distinct labels (got {', '.join(chosen) or 'none'})")
    return chosen


def _label_session(
    pool_path: str,
    out: str,
    model_dir: str | None,
    labels: Sequence[str] | None,
    retrain_every: int,
    diversity: float,
    guide_path: str | None,
) -> tuple[Any, Any]:
    from stance.label.guide import read_guide
    from stance.label.pool import read_pool
    from stance.label.queue import LabelSession
    from stance.label.store import LabeledFile

    model = manifest = None
    if model_dir is not None:
        from stance.models import load_model

        model, manifest = load_model(model_dir)
        if manifest.get("targets"):
            raise StanceError(f"label: {model_dir} was trained on several targets; label with a single-target model")
        if labels and list(labels) != list(model.labels):
            raise StanceError(f"label: --labels {','.join(labels)} differ from the model's ({','.join(model.labels)})")
        label_set = list(model.labels)
    else:
        label_set = _label_set(labels)
    pool = read_pool(pool_path, labels=label_set)
    if Path(out).resolve() == Path(pool_path).resolve():
        raise StanceError(f"label: --out {out} is the pool itself; write the labels to another file")
    guide = read_guide(guide_path, label_set)
    store = LabeledFile(out, pool.columns, label_set)
    try:
        base = _base_data(manifest, label_set) if manifest else None
        name = f"{model_dir} ({manifest['kind']})" if manifest else None
        session = LabelSession(
            pool,
            store,
            label_set,
            guide=guide,
            model=model,
            model_name=name,
            base=base,
            retrain_every=retrain_every,
            diversity=diversity,
        )
    except BaseException:
        store.close()
        raise
    state = session.state()["progress"]
    order = f"ranked by {model_dir}" if model is not None else "in file order"
    if retrain_every:
        order += f", re-ranked by a TF-IDF model retrained every {retrain_every} labels"
    notes = "".join(f"; {note}" for note in pool.notes)
    print(
        f"{pool_path}: {len(pool)} sentences, {state['done']} labeled in {out}, {state['remaining']} to go "
        f"({order}){notes}",
        file=sys.stderr,
    )
    return session, store.close


def _base_data(manifest: dict, labels: list[str]) -> tuple[list[str], list[str]] | None:
    """The model's own training data, when its manifest names a CSV that is still readable:
    retraining on it plus the new labels keeps the ranking model no weaker than the given one."""
    from stance.data.io import resolve_path
    from stance.data.labeled import load_labeled

    data = (manifest.get("config") or {}).get("data") or {}
    if data.get("format", "csv") != "csv" or not data.get("path"):
        return None
    path = resolve_path(data["path"])
    try:
        loaded = load_labeled(path, labels)
    except StanceError as err:
        print(f"label: retraining on the new labels only ({err})", file=sys.stderr)
        return None
    print(
        f"label: retraining uses the model's training data ({path}, {len(loaded)} rows) plus the new labels",
        file=sys.stderr,
    )
    return loaded.texts, loaded.labels


def _review_session(
    path: str,
    labels: Sequence[str] | None,
    guide_path: str | None,
    audit_model: str,
    group: str,
    review_log: str | None,
) -> tuple[Any, Any]:
    from stance.audit import audit
    from stance.data.io import parse_csv, read_text_file
    from stance.label.guide import read_guide
    from stance.label.pool import read_pool
    from stance.label.queue import ReviewSession
    from stance.label.store import ReviewedData

    label_set = _label_set(labels)
    header, rows = parse_csv(read_text_file(path), path)
    key = "text"
    if "id" in header:
        ids = [row[header.index("id")].strip() for row in rows]
        if all(ids) and len(set(ids)) == len(ids):
            key = "id"
    data = ReviewedData(path, review_log, key)
    try:
        print(
            f"label: auditing {path} with out-of-fold {audit_model} models (the seed data takes about "
            f"{'1-2 minutes' if audit_model == 'ensemble' else 'seconds'})...",
            file=sys.stderr,
            flush=True,
        )
        flagged = audit(path, label_set, model=audit_model, group_column=group)
        session = ReviewSession(
            data,
            flagged,
            label_set,
            guide=read_guide(guide_path, label_set),
            context=read_pool(path, article=group),
            audit_name=f"audit: out-of-fold {audit_model}",
            group_column=group,
        )
    except BaseException:
        data.close()
        raise
    state = session.state()["progress"]
    print(
        f"{path}: {len(flagged)} suspicious label(s), {state['done']} reviewed before "
        f"(log: {data.log_path}), {state['remaining']} to review",
        file=sys.stderr,
    )
    return session, data.close
