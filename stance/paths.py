"""Where files go: project-relative paths and atomic model folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from stance.errors import StanceError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def resolve_path(path: str | Path) -> Path:
    """Absolute paths as given; relative ones from the working directory, else the project root."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path


def check_can_write(target: Path, overwrite: bool) -> None:
    """Refuse to replace anything but an existing model folder (or an empty folder)."""
    target = Path(target)
    if not target.exists():
        return
    if not overwrite:
        raise StanceError(f"{target} already exists; pass overwrite=true to replace it or pick another output_dir")
    is_model = (target / "stance.json").is_file()
    is_empty = target.is_dir() and not any(target.iterdir())
    if not (is_model or is_empty):
        raise StanceError(f"{target} is not a model folder (no stance.json); overwrite=true only replaces model folders")


@contextmanager
def atomic_folder(target: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; move it into place only if the block succeeds.

    A killed or failing training run leaves the old model (or nothing) in place, never a
    half-written folder.
    """
    target = Path(target)
    check_can_write(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a model folder is meant to be shared
    try:
        yield staging
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
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
