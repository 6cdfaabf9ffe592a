"""Scale-out classification on Hydra's launchers: one job per shard, then one merge.

scripts/classify_corpus.py is a thin @hydra.main around `classify_shard`; the launcher decides
where jobs run (hydra-submitit-launcher: local processes, or a SLURM job array), and
`ShardsCallback` checks the run before any job starts and merges the shard files after the
last one. No job talks to another: shard K of N is the rows whose index is K modulo N, so a
job needs only K and N, and a failed shard is rerun alone (`shard=3`) before merging again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from stance.corpus import Shard, classify_corpus, merge_shards
from stance.errors import StanceError


def shard_output(cfg: Any, shard: Shard) -> Path:
    """Where a job writes: `output` itself when unsharded, else its shard file in `shard_dir`."""
    return Path(cfg.output) if shard.n == 1 else Path(cfg.shard_dir) / shard.file_name()


def classify_shard(cfg: Any) -> dict[str, Any]:
    """Classify shard `cfg.shard` of `cfg.shards` of `cfg.input` into its file; what it did, as a dict."""
    shard = Shard(int(cfg.shard), int(cfg.shards))
    output = shard_output(cfg, shard)
    summary = classify_corpus(
        cfg.model_dir,
        file=cfg.input,
        output=output,
        as_json=True,
        shard=shard,
        text_field=cfg.text_field,
        input_format=cfg.format,
        target=cfg.target,
        min_confidence=float(cfg.min_confidence),
        progress=None,
    )
    part = f"shard {shard}: {summary.written:,} of {summary.rows:,} rows" if shard.n > 1 else f"{summary.rows:,} rows"
    print(
        f"{part} ({summary.classified:,} classified, "
        f"{summary.empty:,} empty) in {summary.timing()}; written to {output}",
        flush=True,
    )
    return summary.to_dict()


def check(cfg: Any) -> None:
    """The mistakes worth catching before N jobs are queued: a bad model folder, a missing input."""
    from stance.model_folder import read_manifest
    from stance.predict import resolve_targets

    Shard(int(cfg.shard), int(cfg.shards))
    manifest = read_manifest(cfg.model_dir)
    resolve_targets(manifest, cfg.target, None, 0)
    path = Path(cfg.input)
    if not path.is_file():
        raise StanceError(f"input {path}: no such file")
    if Path(cfg.output).resolve() == path.resolve():
        raise StanceError(f"output {cfg.output} is the input file; write the labels to another file")


def fail(err: StanceError) -> None:
    print(f"error: {err}", file=sys.stderr)
    raise SystemExit(2)


class ShardsCallback(Callback):
    """Check a sweep before its jobs start; merge its shard files into `output` after the last."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        try:
            check(config)
        except StanceError as err:
            fail(err)

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        n = int(config.shards)
        if n == 1 or not config.merge:
            return
        files = [Path(config.shard_dir) / Shard(k, n).file_name() for k in range(n)]
        missing = [str(k) for k, path in enumerate(files) if not path.is_file()]
        if missing:
            print(
                f"not merged: shard(s) {', '.join(missing[:10])} of {n} have no file in {config.shard_dir} yet; "
                f"run them (shard=K), then: stance merge {config.shard_dir}/*.jsonl -o {config.output}",
                file=sys.stderr,
            )
            return
        try:
            rows = merge_shards(files, config.output)
        except StanceError as err:
            fail(err)
        print(f"merged {n} shards, {rows:,} rows, into {config.output}", flush=True)
