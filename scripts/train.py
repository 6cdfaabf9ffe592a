"""Train, evaluate and save a stance model: python scripts/train.py [model=NAME] [key=value ...]

`-m` sweeps (`-m model=tfidf,setfit seed=0,1`): each job saves its model in its own Hydra job
folder unless `output_dir` is given, and the sweep's comparison is written beside its outputs.
"""

import json
import sys
from pathlib import Path

import hydra

from stance.config import register_configs
from stance.errors import StanceError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIGS), config_name="train")
def main(cfg) -> float:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from stance.evaluation.protocols import progress
    from stance.reports.comparison import JOB_RECORD
    from stance.training import train

    hydra_config = HydraConfig.get()
    sweep = hydra_config.mode == RunMode.MULTIRUN
    # A sweep job's result line and comparison row name its own overrides (Hydra's and paths aside).
    # (Hydra escapes interpolations in overrides: show them as typed.)
    overrides = [o.replace("\\{", "{").replace("\\}", "}") for o in hydra_config.overrides.task] if sweep else []
    overrides = [o for o in overrides if not o.startswith("hydra")]
    job_folder = Path(hydra_config.runtime.output_dir)
    if sweep and not any(o.split("=")[0].lstrip("+~") == "output_dir" for o in overrides):
        cfg.output_dir = str(job_folder / "model")  # unique by construction: one folder per job
    try:
        result = train(cfg, overrides=overrides)
    except StanceError as err:
        progress(f"error: {' '.join(overrides) + ': ' if overrides else ''}{err}")
        raise SystemExit(2) from None
    if sweep:
        (job_folder / JOB_RECORD).write_text(json.dumps(result.to_dict()), encoding="utf-8")
    where = f"; saved to {result.output_dir}" if result.output_dir else "; not saved (final_fit=false)"
    print(f"{' '.join(overrides) + ': ' if overrides else ''}{result.headline()}{where}", flush=True)
    return result.scores.macro_f1


if __name__ == "__main__":
    from stance.composition import preflight, render_help

    if any(a in ("--help", "-h") for a in sys.argv[1:]):
        print(render_help(CONFIGS))  # the real choices and every key's help, not Hydra's schema listing
        raise SystemExit(0)
    preflight(sys.argv[1:], str(CONFIGS))
    main()
