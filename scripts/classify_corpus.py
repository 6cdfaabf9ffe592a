"""Classify a corpus in shards on a Hydra launcher, then merge: configs/classify.yaml says how.

    python scripts/classify_corpus.py model_dir=models/tfidf input=corpus.jsonl output=labels.jsonl
    python scripts/classify_corpus.py -m hydra/launcher=local shards=2 model_dir=... input=... output=...

With -m, one job per shard (shard=0..shards-1) on the chosen launcher (local processes or
SLURM through hydra-submitit-launcher), and the shard files are merged into `output` after
the last job. All the work is in stance.scaleout.classify_shard (and stance.corpus).
"""

from pathlib import Path

import hydra

from stance.errors import StanceError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@hydra.main(version_base="1.3", config_path=str(CONFIGS), config_name="classify")
def main(cfg) -> dict:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from stance.scaleout import check, classify_shard, fail

    if HydraConfig.get().mode == RunMode.RUN:  # a sweep was checked once, before its jobs
        try:
            check(cfg)
            return classify_shard(cfg)
        except StanceError as err:
            fail(err)
    return classify_shard(cfg)  # in a launcher's job, an error fails the job with its message


if __name__ == "__main__":
    main()
