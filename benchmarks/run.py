"""Write BENCHMARKS.md: TweetEval against published systems, learning curves, speed and size.

    python -m benchmarks.run [--only tweeteval,curves,speed] [--seeds 3] [--data-path PATH]

A benchmark, not a test: tens of minutes on 2 CPU cores. Speed needs trained models in
models/ (`make train`). Results also go to docs/benchmarks/results.json.
"""

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import report as benchmark
from stance.data.io import PROJECT_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="tweeteval,curves,active,speed")
    parser.add_argument("--seeds", type=int, default=3, help="seeds for models with randomness")
    parser.add_argument("--data-path", default="../shared/benchmarks/tweeteval-stance")
    parser.add_argument("--no-transformer", action="store_true", help="skip the slow fine-tuned transformer runs")
    parser.add_argument(
        "--transformer-seeds", type=int, default=0, help="seeds for the TweetEval transformer (default: --seeds)"
    )
    parser.add_argument(
        "--curve-models", default="tfidf,setfit,transformer", help="model kinds for the learning curves"
    )
    parser.add_argument(
        "--systems", default="", help="TweetEval: rerun only systems whose name contains this, keep the rest"
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    figures = PROJECT_ROOT / "docs" / "benchmarks"
    figures.mkdir(parents=True, exist_ok=True)
    store = figures / "results.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    sections = args.only.split(",")
    run_stamp = dict(
        commit=benchmark.commit(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=(
            f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}"
        ),
    )
    if set(sections) & {"tweeteval", "curves", "active", "speed"}:
        stamps = results.setdefault("runs", [])
        stamps.append({**run_stamp, "sections": sections})
        results.update(run_stamp)
    # `--only report` rewrites BENCHMARKS.md from docs/benchmarks/results.json without running anything.
    log = lambda message: print(message, flush=True)
    if "tweeteval" in sections:
        earlier = {row["system"]: row for row in results.get("tweeteval", [])} if args.systems else {}

        def save(rows):
            # With --systems, the new rows replace theirs and the others are kept.
            results["tweeteval"] = list({**earlier, **{row["system"]: row for row in rows}}.values())
            store.write_text(json.dumps(results, indent=2))

        benchmark.tweeteval(
            args.data_path, args.transformer_seeds or args.seeds, not args.no_transformer, log, save, only=args.systems
        )
    if "curves" in sections:
        models = [m for m in args.curve_models.split(",") if m != "transformer" or not args.no_transformer]
        results["curves"] = benchmark.learning_curves(models, args.seeds, log)
        benchmark.plot_curves(results["curves"], figures / "learning_curves.png")
        store.write_text(json.dumps(results, indent=2))
    if "active" in sections:
        results["active"] = benchmark.active_labeling(log, args.seeds)
        benchmark.plot_active(results["active"], figures / "active_labeling.png")
        store.write_text(json.dumps(results, indent=2))
    if "speed" in sections:
        dirs = {
            k: PROJECT_ROOT / "models" / k
            for k in ("tfidf", "setfit", "ensemble", "transformer")
            if (PROJECT_ROOT / "models" / k / "stance.json").exists()
        }
        results["speed"] = benchmark.speed(dirs, log)
        store.write_text(json.dumps(results, indent=2))
    benchmark.write_report(results, args.out, figures)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
