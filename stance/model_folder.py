"""The `stance.json` manifest that makes a model folder self-describing.

File names of a model folder are constants here, in one place.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
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
FORMAT_VERSION = 1

_VERSIONED_PACKAGES = (
    "stance", "scikit-learn", "numpy", "safetensors", "torch", "transformers",
    "sentence-transformers", "datasets", "hydra-core",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
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
        "metrics": metrics,
        "versions": library_versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
            f"{path}: format version {version} is newer than this stance supports "
            f"({FORMAT_VERSION}); upgrade stance"
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
    if (not isinstance(stance_labels, list) or not all(isinstance(x, str) for x in stance_labels)
            or not set(stance_labels) <= set(labels)):
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
