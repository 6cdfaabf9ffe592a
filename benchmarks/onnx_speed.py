"""How fast and how faithful is ONNX Runtime inference? The figures behind the README's ONNX section.

    python -m benchmarks.onnx_speed end-to-end --transformer DIR --setfit DIR --tfidf DIR [--n 2000] [--repeats 3]
    python -m benchmarks.onnx_speed int8-cv --kind transformer|setfit
    python -m benchmarks.onnx_speed sweep DIR [--n 2000]

end-to-end: wall time with start-up, as a user meets it, of `stance classify DIR --file F --json`
on n distinct sentences (seed sentences cycled, numbered after the first pass) against the
five-line `pipeline("text-classification", model=DIR)` script a user would write instead
(batch_size=32, truncation=True), the torch path of `stance classify` (a copy of the folder
without its export), and an int8 export; label identity with the pipeline; peak memory; the
cold start of `stance classify` on one sentence per kind. Commands alternate, each is run
`repeats` times and the median is reported, since the machine may be shared.

int8-cv: leave-one-article-out cross-validation on the seed data, with each fold's model
predicted by torch, by its fp32 export and by its int8 export: macro-F1 and F_avg of each and
how many out-of-fold labels int8 changes.

sweep: in-process sentences/s of the ONNX runtime per batch size and thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stance of this checkout, not another installed one

LABELS = ["supportive", "skeptical", "neutral"]
STANCE_LABELS = ["supportive", "skeptical"]
SEEDS = ROOT / "seeds" / "sentences.csv"

PIPELINE_SCRIPT = """\
import sys
from transformers import pipeline
classifier = pipeline("text-classification", model=sys.argv[1])
texts = open(sys.argv[2], encoding="utf-8").read().splitlines()
for result in classifier(texts, batch_size=32, truncation=True): print(result["label"])
"""

# Runs a command with its output to a file; prints its wall time and peak memory (its own
# process tree) as JSON, so that neither includes this benchmark's own start-up.
MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'wb'), stderr=subprocess.PIPE)\n"
    "seconds = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'rc': done.returncode, 'seconds': seconds, 'peak_mb': peak,"
    " 'stderr': done.stderr.decode(errors='replace')[-500:]}))\n"
)


def seed_texts() -> list[str]:
    from stance.data.labeled import load_labeled

    return load_labeled(SEEDS, LABELS).texts


def distinct_sentences(n: int) -> list[str]:
    """n sentences: the seed sentences cycled, numbered after the first pass so no two are equal."""
    texts = seed_texts()
    return [texts[i % len(texts)] + ("" if i < len(texts) else f" ({i // len(texts)})") for i in range(n)]


def measure(argv: list[str], output: Path) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(output), *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result['stderr']}")
    return result


def run_alternating(commands: dict[str, list[str]], repeats: int, scratch: Path) -> dict[str, dict]:
    """Each command `repeats` times, interleaved (one unmeasured warm-up round first, for the file cache)."""
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    outputs = {name: scratch / f"{name}.out" for name in commands}
    for round_number in range(repeats + 1):
        for name, argv in commands.items():
            result = measure(argv, outputs[name])
            if round_number:
                runs[name].append(result)
    summary = {}
    for name, results in runs.items():
        seconds = [r["seconds"] for r in results]
        summary[name] = {
            "median_s": statistics.median(seconds),
            "runs_s": seconds,
            "peak_mb": statistics.median(r["peak_mb"] for r in results),
            "output": outputs[name].read_text(encoding="utf-8"),
        }
    return summary


def stance_labels(output: str) -> list[str]:
    return [json.loads(line)["label"] for line in output.splitlines() if line.strip()]


def identical(a: list[str], b: list[str]) -> float:
    assert len(a) == len(b), (len(a), len(b))
    return 100.0 * sum(x == y for x, y in zip(a, b)) / len(a)


def without_export(folder: Path, destination: Path) -> Path:
    """A copy of a model folder as an older stance saved it: it classifies through torch."""
    from stance.model_folder import read_manifest, write_manifest

    shutil.copytree(folder, destination, ignore=shutil.ignore_patterns("onnx"))
    manifest = read_manifest(destination)
    manifest.pop("onnx", None)
    write_manifest(destination, manifest)
    return destination


def int8_copy(folder: Path, destination: Path) -> Path:
    shutil.copytree(folder, destination)
    subprocess.run(
        [sys.executable, "-m", "stance", "export", str(destination), "--precision", "int8"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return destination


def end_to_end(args: argparse.Namespace) -> dict:
    stance = [sys.executable, "-m", "stance", "classify"]
    results: dict = {"n": args.n, "repeats": args.repeats, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="onnx-speed-") as scratch_name:
        scratch = Path(scratch_name)
        sentences = scratch / "sentences.txt"
        sentences.write_text("\n".join(distinct_sentences(args.n)) + "\n", encoding="utf-8")
        script = scratch / "pipeline_script.py"
        script.write_text(PIPELINE_SCRIPT, encoding="utf-8")
        one = "China can be an honest broker."
        commands: dict[str, list[str]] = {}
        if args.transformer:
            folder = Path(args.transformer)
            torch_folder = without_export(folder, scratch / "transformer-torch")
            int8_folder = int8_copy(folder, scratch / "transformer-int8")
            commands |= {
                "pipeline script": [sys.executable, str(script), str(folder), str(sentences)],
                "transformer onnx fp32": [*stance, str(folder), "--file", str(sentences), "--json"],
                "transformer onnx int8": [*stance, str(int8_folder), "--file", str(sentences), "--json"],
                "transformer torch path": [*stance, str(torch_folder), "--file", str(sentences), "--json"],
            }
        if args.setfit:
            folder = Path(args.setfit)
            torch_folder = without_export(folder, scratch / "setfit-torch")
            int8_folder = int8_copy(folder, scratch / "setfit-int8")
            commands |= {
                "setfit onnx fp32": [*stance, str(folder), "--file", str(sentences), "--json"],
                "setfit onnx int8": [*stance, str(int8_folder), "--file", str(sentences), "--json"],
                "setfit torch path": [*stance, str(torch_folder), "--file", str(sentences), "--json"],
            }
        throughput = run_alternating(commands, args.repeats, scratch)
        cold_commands = {}
        for kind in ("tfidf", "setfit", "transformer"):
            if getattr(args, kind):
                cold_commands[f"cold {kind}"] = [*stance, getattr(args, kind), one]
        for kind in ("setfit", "transformer"):
            if getattr(args, kind):
                cold_commands[f"cold {kind} torch path"] = [*stance, str(scratch / f"{kind}-torch"), one]
        cold = run_alternating(cold_commands, args.repeats, scratch)

    reference = None
    if "pipeline script" in throughput:
        reference = throughput["pipeline script"]["output"].split()
    rows = []
    for name, result in throughput.items():
        labels = result.pop("output").split() if name == "pipeline script" else stance_labels(result.pop("output"))
        result["sentences_per_s"] = args.n / result["median_s"]
        if reference is not None and name.startswith(("transformer", "pipeline")):
            result["vs_pipeline"] = throughput["pipeline script"]["median_s"] / result["median_s"]
            result["labels_identical_to_pipeline_pct"] = identical(labels, reference)
        result["labels"] = labels
        rows.append(name)
    for kind in ("transformer", "setfit"):
        fp32, int8, torch_path = (throughput.get(f"{kind} onnx {p}") for p in ("fp32", "int8", "torch path"))
        if fp32 and int8:
            int8["labels_identical_to_fp32_pct"] = identical(int8["labels"], fp32["labels"])
        if fp32 and torch_path:
            fp32["labels_identical_to_torch_path_pct"] = identical(fp32["labels"], torch_path["labels"])
            fp32["vs_torch_path"] = torch_path["median_s"] / fp32["median_s"]
    for result in throughput.values():
        result.pop("labels")
    for result in cold.values():
        result.pop("output")
    if "cold tfidf" in cold:
        for result in cold.values():
            result["vs_tfidf"] = result["median_s"] / cold["cold tfidf"]["median_s"]
    results |= {"throughput": throughput, "cold_start": cold, "load_after": os.getloadavg()}
    return results


def int8_cv(args: argparse.Namespace) -> dict:
    """Out-of-fold predictions of torch, fp32 ONNX and int8 ONNX on the same fold models."""
    import numpy as np

    from stance.config import MODEL_CONFIGS
    from stance.data.labeled import load_labeled
    from stance.evaluation.metrics import classification_metrics
    from stance.evaluation.protocols import group_folds
    from stance.models import create_model
    from stance.models.onnx import load_runtime, quantize

    data = load_labeled(SEEDS, LABELS, required=("text", "label", "article"))
    config = MODEL_CONFIGS[args.kind]()
    probabilities = {name: np.zeros((len(data.texts), len(LABELS))) for name in ("torch", "fp32", "int8")}
    started = time.perf_counter()
    for _, train, test in group_folds(data.columns["article"]):
        model = create_model(config, LABELS, seed=0).fit(
            [data.texts[i] for i in train], [data.labels[i] for i in train]
        )
        held_out = [data.texts[i] for i in test]
        probabilities["torch"][test] = model.predict_proba(held_out)
        with tempfile.TemporaryDirectory(prefix="onnx-cv-") as folder:
            model.save(Path(folder))
            probabilities["fp32"][test] = load_runtime(folder, config, LABELS).predict_proba(held_out)
            quantize(folder)
            probabilities["int8"][test] = load_runtime(folder, config, LABELS).predict_proba(held_out)
    result: dict = {"kind": args.kind, "n": len(data.texts), "seconds": time.perf_counter() - started}
    predicted = {name: [LABELS[i] for i in p.argmax(axis=1)] for name, p in probabilities.items()}
    for name, labels in predicted.items():
        metrics = classification_metrics(data.labels, labels, LABELS, STANCE_LABELS)
        result[name] = {"macro_f1": metrics.macro_f1, "f_avg": metrics.f_avg, "accuracy": metrics.accuracy}
    result["fp32_labels_identical_to_torch_pct"] = identical(predicted["fp32"], predicted["torch"])
    result["int8_labels_identical_to_fp32_pct"] = identical(predicted["int8"], predicted["fp32"])
    result["fp32_max_abs_probability_difference"] = float(np.abs(probabilities["fp32"] - probabilities["torch"]).max())
    result["int8_macro_f1_change"] = result["int8"]["macro_f1"] - result["fp32"]["macro_f1"]
    return result


def sweep(args: argparse.Namespace) -> dict:
    """In-process sentences/s per batch size and thread count (median of `repeats` passes)."""
    import dataclasses

    from stance.models import load_model

    texts = distinct_sentences(args.n)
    results = {}
    for threads in args.threads:
        os.environ["STANCE_ONNX_THREADS"] = str(threads)
        model, _ = load_model(args.model_dir)
        for batch_size in args.batch_sizes:
            model.config = dataclasses.replace(model.config, eval_batch_size=batch_size)
            model.encoder.batch_size = batch_size
            model.predict_proba(texts[:64])
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model.predict_proba(texts)
                times.append(time.perf_counter() - start)
            results[f"threads={threads} batch={batch_size}"] = args.n / statistics.median(times)
    return {"model": args.model_dir, "n": args.n, "sentences_per_s": results, "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    e2e = commands.add_parser("end-to-end")
    e2e.add_argument("--transformer")
    e2e.add_argument("--setfit")
    e2e.add_argument("--tfidf")
    e2e.add_argument("--n", type=int, default=2000)
    e2e.add_argument("--repeats", type=int, default=3)
    cv = commands.add_parser("int8-cv")
    cv.add_argument("--kind", choices=("transformer", "setfit"), required=True)
    tune = commands.add_parser("sweep")
    tune.add_argument("model_dir")
    tune.add_argument("--n", type=int, default=2000)
    tune.add_argument("--repeats", type=int, default=3)
    tune.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    tune.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    args = parser.parse_args()
    run = {"end-to-end": end_to_end, "int8-cv": int8_cv, "sweep": sweep}[args.command]
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
