"""A model folder: its file names, the `stance.json` manifest, and safe saving.

Saving is atomic and race-safe: the model is written into a staging folder beside the target
and renamed into place under an exclusive lock (flock on the parent folder, released by the OS
when the process dies, leaving no file behind), where the "never replace without overwrite"
rule is checked again.
Staging folders left by killed runs are removed by the next save into the same place.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from stance.errors import StanceError

MANIFEST = "stance.json"
METRICS = "metrics.json"
REPORT = "report.md"
CONFUSION_PNG = "confusion_matrix.png"
RELIABILITY_PNG = "reliability.png"
ERRORS_CSV = "errors.csv"
TRAINING_TEXTS = "training_texts.json"  # hashes of the training sentences, to spot evaluation on them
FORMAT_VERSION = 1

_VERSIONED_PACKAGES = (
    "stance",
    "scikit-learn",
    "numpy",
    "safetensors",
    "torch",
    "transformers",
    "sentence-transformers",
    "datasets",
    "hydra-core",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        with suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def build_manifest(
    kind: str,
    labels: list[str],
    stance_labels: list[str],
    target: str,
    config: dict[str, Any],
    data_fingerprint: str,
    metrics: dict[str, Any],
    targets: list[str] | None = None,
    data_sources: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "labels": list(labels),
        "stance_labels": list(stance_labels),
        "target": target,
        "targets": targets,
        "config": config,
        "data_fingerprint": data_fingerprint,
        "data_sources": data_sources or {},
        "metrics": metrics,
        "versions": library_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read and check a model folder's manifest; every problem is one clear `StanceError`."""
    folder = Path(folder)
    if not folder.exists():
        raise StanceError(f"{folder}: no such model folder")
    if not folder.is_dir():
        raise StanceError(f"{folder}: not a folder (expected a model folder with {MANIFEST})")
    path = folder / MANIFEST
    if not path.is_file():
        raise StanceError(f"{folder}: not a model folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StanceError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise StanceError(f"{path}: expected a JSON object")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise StanceError(f"{path}: missing or invalid 'format_version'")
    if version > FORMAT_VERSION:
        raise StanceError(
            f"{path}: format version {version} is newer than this stance supports ({FORMAT_VERSION}); upgrade stance"
        )
    labels = manifest.get("labels")
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(x, str) and x for x in labels)
        or len(set(labels)) != len(labels)
    ):
        raise StanceError(f"{path}: 'labels' must be a list of at least two distinct names")
    stance_labels = manifest.get("stance_labels", [])
    if (
        not isinstance(stance_labels, list)
        or not all(isinstance(x, str) for x in stance_labels)
        or not set(stance_labels) <= set(labels)
    ):
        raise StanceError(f"{path}: 'stance_labels' must be a subset of 'labels'")
    targets = manifest.get("targets")
    if targets is not None and (not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets)):
        raise StanceError(f"{path}: 'targets' must be null or a list of target names")
    if not isinstance(manifest.get("kind"), str):
        raise StanceError(f"{path}: missing 'kind'")
    if not isinstance(manifest.get("config", {}), dict):
        raise StanceError(f"{path}: 'config' must be a JSON object")
    if not isinstance(manifest.get("metrics", {}), dict):
        raise StanceError(f"{path}: 'metrics' must be a JSON object")
    return manifest


# ---------------------------------------------------------------- saving


def check_can_write(target: Path, overwrite: bool) -> None:
    """Refuse to replace anything but an existing model folder (or an empty folder)."""
    target = Path(target)
    if not target.exists():
        return
    if not overwrite:
        raise StanceError(f"{target} already exists; pass overwrite=true to replace it or pick another output_dir")
    is_model = (target / MANIFEST).is_file()
    is_empty = target.is_dir() and not any(target.iterdir())
    if not (is_model or is_empty):
        raise StanceError(
            f"{target} is not a model folder (no {MANIFEST}); overwrite=true only replaces model folders"
        )


@contextmanager
def exclusive_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for replacing `target` during the block.

    The lock is flock on the parent folder itself (Linux and macOS): nothing is left behind,
    and the OS releases it when the process dies, so a killed run never blocks the next.
    Swaps are short, so serialising all saves into one folder costs nothing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove staging and retired folders beside `target` whose run is dead; returns them.

    Their names carry the writing process's id, so a live run's staging folder is never touched.
    """
    target = Path(target)
    removed = []
    for kind in ("tmp", "old"):
        for path in target.parent.glob(f".{target.name}.{kind}-*"):
            pid = path.name[len(f".{target.name}.{kind}-") :].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@contextmanager
def atomic_folder(target: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a staging folder beside `target`; move it into place only if the block succeeds.

    A killed or failing run leaves the old model (or nothing) in place, never a half-written
    folder. Of two runs saving to one new folder at once, the second fails unless `overwrite`.
    """
    target = Path(target)
    check_can_write(target, overwrite)  # fail before any work where we can
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(target):
        remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a model folder is meant to be shared
    try:
        yield staging
        with exclusive_lock(target):
            if target.exists() and not overwrite:
                raise StanceError(
                    f"{target} was created by another run while this one was working; "
                    "pass overwrite=true to replace it or pick another output_dir"
                )
            check_can_write(target, overwrite)
            if target.exists():
                retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
                os.replace(target, retired / target.name)
                try:
                    os.replace(staging, target)
                except BaseException:
                    os.replace(retired / target.name, target)  # put the old model back
                    raise
                finally:
                    shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


# ---------------------------------------------------------------- training texts


def text_hash(text: str) -> str:
    """A short hash of a sentence, case and spacing ignored (a one-way record, not the text)."""
    import hashlib

    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()[:16]


def write_training_texts(folder: Path, texts: list[str]) -> None:
    payload = {
        "hash": "sha1 of the lower-cased, space-collapsed text, first 16 hex digits",
        "hashes": sorted({text_hash(t) for t in texts}),
    }
    (Path(folder) / TRAINING_TEXTS).write_text(json.dumps(payload), encoding="utf-8")


def count_training_texts(folder: str | Path, texts: list[str]) -> int | None:
    """How many of `texts` the model in `folder` was trained on (None: the folder does not say)."""
    try:
        known = set(json.loads((Path(folder) / TRAINING_TEXTS).read_text(encoding="utf-8"))["hashes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sum(text_hash(t) in known for t in texts)
