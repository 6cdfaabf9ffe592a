import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds" / "sentences.csv"


def compose(*overrides: str):
    """The training config exactly as scripts/train.py would see it."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from stance.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return hydra_compose(config_name="train", overrides=list(overrides))


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "stance", *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="session")
def tfidf_model(tmp_path_factory) -> Path:
    """A TF-IDF model trained on the seed data through the real training entry point."""
    from stance.train import run

    folder = tmp_path_factory.mktemp("models") / "tfidf"
    run(compose(f"output_dir={folder}", "n_bootstrap=200"))
    return folder
