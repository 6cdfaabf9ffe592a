"""Compose the training config as `scripts/train.py` sees it, and check it before Hydra starts.

Hydra reports a bad override with a traceback-like message and exit 1; `preflight` turns every
config problem into one line with a suggestion and exit 2, before any job starts or any
folder is made. Sweeps are expanded by Hydra's own override parser and sweeper, so every
sweep syntax Hydra accepts (`seed=range(0,3)`, `model=glob(*)`) is checked job by job.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.errors import StanceError

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
# Flags after which Hydra does not run a job, so there is nothing to check.
_NO_JOB_FLAGS = {"--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i", "--shell-completion", "-sc"}
MAX_CHECKED_JOBS = 64


def compose(*overrides: str, config_dir: str | Path = CONFIG_DIR) -> Any:
    """The training config for these overrides, exactly as scripts/train.py would see it."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from stance.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        return hydra_compose(config_name="train", overrides=list(overrides))


def _known_keys() -> list[str]:
    from dataclasses import fields

    from stance.config import TrainConfig

    return [f.name for f in fields(TrainConfig)] + ["hydra/launcher"]


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def explain(err: Exception) -> str:
    """One line for a Hydra or OmegaConf composition error, with a suggestion where we can."""
    from stance.models import REGISTRY

    lines = [x.strip() for x in str(err).splitlines() if x.strip()]
    first = lines[0] if lines else type(err).__name__
    if first.startswith("In 'train': Could not find 'model/"):
        name = first.split("model/")[1].rstrip("'")
        return f"unknown model {name!r} (known: {', '.join(REGISTRY)}){_suggest(name, list(REGISTRY))}"
    if first.startswith("In 'train': Could not find 'data/"):
        name = first.split("data/")[1].rstrip("'")
        known = sorted(p.stem for p in (CONFIG_DIR / "data").glob("*.yaml"))
        return f"unknown data config {name!r} (known: {', '.join(known)}){_suggest(name, known)}"
    cause = str(err.__cause__ or "").strip().splitlines()
    detail = next((x.strip() for x in lines[1:] + cause[:1] if x.strip().startswith(("Key '", "Value '"))), "")
    message = " ".join(x for x in (first, detail) if x)
    if "Could not override '" in first or "not in struct" in message:
        key = (
            first.split("Could not override '")[1].split("'")[0]
            if "Could not override '" in first
            else detail.split("'")[1]
            if detail.count("'") >= 2
            else ""
        )
        top = key.split(".")[0]
        if top and top not in _known_keys():
            return f"unknown config key {key!r}{_suggest(top, [*_known_keys(), 'model', 'data'])}"
    return message


def preflight(argv: Sequence[str], config_dir: str | Path = CONFIG_DIR) -> None:
    """Exit 2 with one line if any job of this command line has a bad config."""
    argv = list(argv)
    if any(a in _NO_JOB_FLAGS or a.startswith("--config") for a in argv):
        return
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from stance.training import to_train_config

    multirun = "-m" in argv or "--multirun" in argv
    overrides = [a for a in argv if not a.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as err:
        _fail(explain(err))
    sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
    if sweeps and not multirun:
        _fail(
            f"{sweeps[0]} lists several values: add -m to run one job per value "
            f"(python scripts/train.py -m {' '.join(overrides)})"
        )
    # Hydra's own settings (hydra.*, hydra/launcher) are checked by Hydra itself.
    ours = [o for o in parsed if not o.key_or_group.startswith("hydra")]
    jobs = (
        [job for batch in BasicSweeper.split_arguments(ours, None) for job in batch]
        if multirun
        else [[o.input_line for o in ours]]
    )
    from stance.model_folder import check_can_write

    for job in jobs[:MAX_CHECKED_JOBS]:
        try:
            config = to_train_config(compose(*job, config_dir=config_dir))
            # A sweep job writes to its own Hydra folder unless output_dir is given; a given one that
            # exists fails here, before Hydra makes any folder, not in the middle of the sweep.
            # (A single run checks this itself before any work, and makes no folder before it.)
            if config.final_fit and multirun and any(o.split("=")[0] == "output_dir" for o in job):
                check_can_write(Path(config.output_dir), config.overwrite)
        except StanceError as err:
            _fail(f"{' '.join(job) + ': ' if len(jobs) > 1 else ''}{err}")
        except (HydraException, OmegaConfBaseException) as err:
            _fail(explain(err))


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def render_help(config_dir: str | Path = CONFIG_DIR) -> str:
    """`scripts/train.py --help`: the real choices of each config group and every key with its help."""
    from dataclasses import MISSING, fields

    from stance.config import MODEL_CONFIGS, DataConfig, TrainConfig

    config_dir = Path(config_dir)

    def choices(group: str) -> str:
        return ", ".join(sorted(p.stem for p in (config_dir / group).glob("*.yaml")))

    def keys(schema: type, prefix: str) -> list[str]:
        lines = []
        for f in fields(schema):
            if f.name in ("data", "model"):
                continue
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            key = f"{prefix}{f.name}={default!r}"
            help_text = f.metadata.get("help", "")
            lines.append(f"  {key:<36} {help_text}" if len(key) <= 36 else f"  {key}\n  {'':<36} {help_text}")
        return lines

    launchers = choices("hydra/launcher") + ", basic (default), joblib, submitit_local, submitit_slurm"
    lines = [
        "Train, evaluate and save a stance model (Hydra): python scripts/train.py [-m] [group=option] [key=value ...]",
        "",
        "Config groups (pick one option each):",
        f"  data=            {choices('data')} (seeds: the five seed articles are scored, data/authored.csv "
        "is train-only)",
        f"  model=           {choices('model')}",
        f"  hydra/launcher=  {launchers} (with -m)",
        "",
        "Keys (defaults live in stance/config.py; YAML files and the command line override them):",
        *keys(TrainConfig, ""),
        "",
        *keys(DataConfig, "data."),
    ]
    for name, schema in MODEL_CONFIGS.items():
        lines += ["", f"model={name}:", *keys(schema, "model.")]
    lines += [
        "",
        "Examples:",
        "  python scripts/train.py model=setfit output_dir=models/setfit-2",
        "  python scripts/train.py -m model=tfidf,setfit seed=0,1       # a sweep: one job per combination",
        "  python scripts/train.py data.train_only=[]                   # the seed articles alone",
        "Hydra's own options: --hydra-help; the composed config: --cfg job",
    ]
    return "\n".join(lines)
