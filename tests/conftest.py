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
    from stance.composition import compose as compose_config

    return compose_config(*overrides)


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "stance", *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread: tiny models on a busy 2-core machine run many times faster without OpenMP waits."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tfidf_model(tmp_path_factory) -> Path:
    """A TF-IDF model trained on the seed sentences alone through the real training entry point."""
    from stance.training import train

    folder = tmp_path_factory.mktemp("models") / "tfidf"
    train(compose(f"output_dir={folder}", "n_bootstrap=200", "data.train_only=[]"))
    return folder


def build_tiny_bert(folder: Path, texts: list[str]) -> Path:
    """A randomly initialised 2-layer BERT whose vocabulary is the words of `texts` (offline, seconds)."""
    import re

    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    words = sorted({w for text in texts for w in re.findall(r"\w+|[^\w\s]", text.lower())})
    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])}
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertForMaskedLM(config).save_pretrained(folder)
    BertTokenizerFast(vocab=vocab).save_pretrained(folder)
    return folder
