"""Classify throughput of a saved transformer against Hugging Face's pipeline.

    python -m benchmarks.pipeline_speed models/transformer [--n 1000]

Same folder, same sentences, one run; prints the ratio and whether the labels agree.
"""

import argparse
import json
from pathlib import Path

from benchmarks.speed import pipeline_comparison


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    result = pipeline_comparison(args.model_dir, args.n)
    ours = result["stance_sentences_per_second"]
    print(f"stance: {ours:.1f} sentences/s on {result['n']} sentences")
    for name, reference in result["references"].items():
        print(
            f"{name}: {reference['sentences_per_second']:.1f} sentences/s -> stance is "
            f"{ours / reference['sentences_per_second']:.2f}x; labels identical on "
            f"{reference['same_labels']}/{result['n']}"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
