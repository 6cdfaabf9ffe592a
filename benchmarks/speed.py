"""Speed measurements shared by the benchmark scripts (not part of the installed package)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.data.io import PROJECT_ROOT
from stance.data.labeled import load_labeled

SEED_LABELS = ["supportive", "skeptical", "neutral"]


def seed_sentences(n: int) -> list[str]:
    """n sentences cycled from the seed data (numbered after the first pass, so all differ)."""
    texts = load_labeled(PROJECT_ROOT / "seeds" / "sentences.csv", SEED_LABELS).texts
    return [texts[i % len(texts)] + ("" if i < len(texts) else f" ({i // len(texts)})") for i in range(n)]


def time_command(argv: Sequence[str], repeats: int = 5) -> tuple[float, list[float]]:
    """Median wall time of a command run `repeats` times (after one unmeasured warm-up)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run(argv, capture_output=True, check=True, env=env)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def peak_memory_mb(argv: Sequence[str]) -> float:
    """Peak resident memory of a child process, in MB (Linux ru_maxrss is in KiB)."""
    code = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], capture_output=True, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        text=True,
    )
    return int(out.stdout.strip()) / 1024


def throughput(predict, texts: list[str], batch: int | None = None) -> float:
    """Sentences per second of predict(texts) in one call, or one batch of `batch` at a time."""
    predict(texts[:4])
    start = time.perf_counter()
    if batch is None:
        predict(texts)
    else:
        for i in range(0, len(texts), batch):
            predict(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


def pipeline_comparison(model_dir: Path, n: int = 1000) -> dict[str, Any]:
    """Our classify path against Hugging Face's pipeline on the same folder and sentences."""
    import torch
    from transformers import pipeline

    from stance.models import load_model

    texts = seed_sentences(n)
    model, _ = load_model(model_dir)
    torch.set_num_threads(torch.get_num_threads())
    ours_start = time.perf_counter()
    probabilities = model.predict_proba(texts)
    ours = n / (time.perf_counter() - ours_start)
    ours_labels = [model.labels[i] for i in probabilities.argmax(axis=1)]
    device = 0 if torch.cuda.is_available() else -1
    results = {}
    for name, kwargs in (("pipeline", {}), ("pipeline(batch_size=32)", {"batch_size": 32})):
        classifier = pipeline(
            "text-classification",
            model=str(model_dir),
            tokenizer=str(model_dir),
            device=device,
            truncation=True,
            max_length=model.config.max_length,
        )
        classifier(texts[:4], **kwargs)
        start = time.perf_counter()
        predictions = classifier(texts, **kwargs)
        results[name] = {
            "sentences_per_second": n / (time.perf_counter() - start),
            "same_labels": sum(p["label"] == o for p, o in zip(predictions, ours_labels)),
        }
    return {"n": n, "stance_sentences_per_second": ours, "references": results}
