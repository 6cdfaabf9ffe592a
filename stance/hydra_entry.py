"""What `scripts/train.py` runs inside `@hydra.main`: clean errors, a record for comparisons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.reports import fmt, fmt_interval

JOB_RECORD = "job.json"


def train_main(cfg: Any) -> float:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from stance.train import run

    try:
        result = run(cfg)
    except StanceError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    hydra_config = HydraConfig.get()
    if hydra_config.mode == RunMode.MULTIRUN and "output_dir" in result:
        record = Path(hydra_config.runtime.output_dir) / JOB_RECORD
        record.write_text(json.dumps({"model_dir": str(Path(result["output_dir"]).resolve())}), encoding="utf-8")
    baseline = result["baseline"]
    print(
        f"{result['model']}: macro-F1 {fmt(result['macro_f1'])} {fmt_interval(result['intervals']['macro_f1'])}, "
        f"F_avg {fmt(result['f_avg'])} {fmt_interval(result['intervals']['f_avg'])} "
        f"({result['protocol_short']}); majority baseline macro-F1 {fmt(baseline['macro_f1'])}"
        + (f"; saved to {result['output_dir']}" if "output_dir" in result else "")
    )
    return result["macro_f1"]
