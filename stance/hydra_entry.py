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


_HYDRA_FLAGS_WITHOUT_PREFLIGHT = {"--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i", "--shell-completion", "-sc"}


def _sweep_variants(overrides: list[str]) -> list[list[str]]:
    """Each value of each comma sweep (`model=a,b`) once, others at their first value."""
    def split(arg: str) -> list[str]:
        key, _, value = arg.partition("=")
        if "," in value and not value.lstrip().startswith(("[", "{", "'", '"')):
            return [f"{key}={v}" for v in value.split(",")]
        return [arg]

    options = [split(arg) for arg in overrides]
    variants = [[choices[0] for choices in options]]
    for position, choices in enumerate(options):
        for choice in choices[1:]:
            variant = list(variants[0])
            variant[position] = choice
            variants.append(variant)
    return variants


def preflight(argv: list[str], config_dir: str) -> None:
    """Compose and check the config before Hydra starts: a bad key, an unknown model or an
    impossible value is one line on stderr and exit 2, before any work starts."""
    if any(a in _HYDRA_FLAGS_WITHOUT_PREFLIGHT or a.startswith("--config") for a in argv):
        return
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from stance.models import REGISTRY
    from stance.train import to_train_config

    overrides = [a for a in argv if not a.startswith("-") and not a.startswith("hydra")]
    variants = _sweep_variants(overrides)
    writes: dict[str, str] = {}
    for variant in variants:
        try:
            with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
                config = to_train_config(compose(config_name="train", overrides=variant))
            if config.final_fit and len(variants) > 1:
                swept = " ".join(v for v in variant if v not in variants[0]) or " ".join(variant)
                if config.output_dir in writes:
                    _fail(f"sweep jobs '{writes[config.output_dir]}' and '{swept}' would both write to "
                          f"{config.output_dir}; put the swept key into output_dir "
                          "(e.g. output_dir=models/${model.name}-${seed}) or pass final_fit=false")
                writes[config.output_dir] = swept
        except StanceError as err:
            _fail(str(err))
        except (HydraException, OmegaConfBaseException) as err:
            lines = [x.strip() for x in str(err).splitlines() if x.strip()]
            if lines and lines[0].startswith("In 'train': Could not find 'model/"):
                name = lines[0].split("model/")[1].rstrip("'")
                _fail(f"unknown model {name!r} (known: {', '.join(REGISTRY)})")
            cause = str(err.__cause__ or "").strip().splitlines()
            detail = next((x.strip() for x in lines[1:] + cause[:1] if x.strip().startswith("Key '")), "")
            _fail(" ".join(x for x in (lines[0] if lines else type(err).__name__, detail) if x))


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)
