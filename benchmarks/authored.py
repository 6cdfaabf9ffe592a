"""What the authored coverage set buys: seeds only against seeds + authored, per kind; a learning
curve over the authored share; and settings re-chosen by cross-validation on the seed articles.

    python -m benchmarks.authored [--kinds tfidf,setfit,ensemble,transformer] [--only compare,curve,choose]

Every score is leave-one-article-out CV on the five seed articles (the authored sentences join
every training fold and are never scored). Results go to docs/benchmarks/authored.json; the
markdown tables print to stdout. Slow by design (the transformer takes tens of minutes on 2 CPU
cores), so it is a benchmark, not a test.
"""

import argparse
import json
import time

from stance.composition import compose
from stance.data.io import PROJECT_ROOT
from stance.reports.format import fmt, with_interval
from stance.training import train

STORE = PROJECT_ROOT / "docs" / "benchmarks" / "authored.json"
SHARES = (0.0, 0.25, 0.5, 1.0)
CHOICES = {
    "tfidf": ["model.C=1", "model.C=3", "model.C=10", "model.C=30"],
    "setfit": ["model.C=0.3", "model.C=1", "model.C=3"],
    "ensemble": ["model.weights=[1,1]", "model.weights=[1,2]", "model.weights=[2,1]"],
    "transformer": ["model.epochs=2", "model.epochs=4"],
}


def evaluate(*overrides: str) -> dict:
    started = time.perf_counter()
    result = train(compose(*overrides, "final_fit=false", "n_bootstrap=1000"))
    s = result.scores
    return {
        "overrides": list(overrides),
        "macro_f1": s.macro_f1,
        "f_avg": s.f_avg,
        "accuracy": s.accuracy,
        "intervals": s.intervals,
        "per_class_f1": {k: v["f1"] for k, v in s.per_class.items()},
        "baseline_macro_f1": result.baseline.macro_f1,
        "baseline_accuracy": result.baseline.accuracy,
        "seconds": time.perf_counter() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", default="tfidf,setfit,ensemble,transformer")
    parser.add_argument("--only", default="compare,curve,choose")
    parser.add_argument("--curve-kinds", default="tfidf,setfit")
    args = parser.parse_args()
    results = json.loads(STORE.read_text()) if STORE.exists() else {}

    def save() -> None:
        STORE.parent.mkdir(parents=True, exist_ok=True)
        STORE.write_text(json.dumps(results, indent=2) + "\n")

    kinds = args.kinds.split(",")
    if "compare" in args.only:
        for kind in kinds:
            for name, data in (
                ("seeds only", "data.train_only=[]"),
                ("seeds + authored", "data.train_only=[data/authored.csv]"),
            ):
                row = evaluate(f"model={kind}", data)
                results.setdefault("compare", {}).setdefault(kind, {})[name] = row
                print(f"{kind} {name}: macro-F1 {fmt(row['macro_f1'])} ({row['seconds']:.0f} s)", flush=True)
                save()
    if "curve" in args.only:
        for kind in args.curve_kinds.split(","):
            for share in SHARES:
                row = evaluate(f"model={kind}", f"data.train_only_fraction={share}")
                results.setdefault("curve", {}).setdefault(kind, {})[str(share)] = row
                print(f"curve {kind} {share}: macro-F1 {fmt(row['macro_f1'])}", flush=True)
                save()
    if "choose" in args.only:
        for kind in kinds:
            for choice in CHOICES.get(kind, []):
                row = evaluate(f"model={kind}", choice)
                results.setdefault("choose", {}).setdefault(kind, {})[choice] = row
                print(f"choose {kind} {choice}: macro-F1 {fmt(row['macro_f1'])}", flush=True)
                save()
    print(markdown(results))
    return 0


def _cell(row: dict) -> str:
    class S:  # the bits of Evaluation that with_interval reads
        def __init__(self, r):
            self.macro_f1, self.f_avg, self.intervals = r["macro_f1"], r["f_avg"], r["intervals"]

        def interval(self, name):
            return self.intervals.get(name)

    s = S(row)
    return f"{with_interval(s, 'macro_f1')} | {with_interval(s, 'f_avg')} | {fmt(row['accuracy'])}"


def markdown(results: dict) -> str:
    lines = []
    if results.get("compare"):
        lines += [
            "| model | data | macro-F1 [95% CI] | F_avg [95% CI] | accuracy | CV time, s |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for kind, rows in results["compare"].items():
            for name, row in rows.items():
                lines.append(f"| {kind} | {name} | {_cell(row)} | {row['seconds']:.0f} |")
        first = next(iter(next(iter(results["compare"].values())).values()))
        lines.append(
            f"| majority baseline | – | {fmt(first['baseline_macro_f1'])} | 0.000 | "
            f"{fmt(first['baseline_accuracy'])} | – |"
        )
    if results.get("curve"):
        lines += [
            "",
            "| model | " + " | ".join(f"{int(100 * s)}% authored" for s in SHARES) + " |",
            "|---|" + "---:|" * len(SHARES),
        ]
        for kind, points in results["curve"].items():
            lines.append(
                f"| {kind} | "
                + " | ".join(fmt(points[str(s)]["macro_f1"]) if str(s) in points else "–" for s in SHARES)
                + " |"
            )
    if results.get("choose"):
        lines += [
            "",
            "| model | setting | macro-F1 [95% CI] | F_avg [95% CI] | accuracy |",
            "|---|---|---:|---:|---:|",
        ]
        for kind, rows in results["choose"].items():
            for choice, row in rows.items():
                lines.append(f"| {kind} | `{choice}` | {_cell(row)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
