"""Saving stays safe when runs overlap or get killed (model folders and files users keep)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT
from stance.errors import StanceError
from stance.model_folder import atomic_folder

# A writer that stages a model folder, waits `pause` seconds inside the block, then swaps.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from stance.errors import StanceError
    from stance.model_folder import MANIFEST, atomic_folder
    target, pause, overwrite, tag = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
    try:
        with atomic_folder(target, overwrite) as folder:
            (folder / MANIFEST).write_text(tag)
            print("staged", flush=True)
            time.sleep(pause)
    except StanceError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    """
)


def writer(target, pause, overwrite=False, tag="x"):
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(pause), "1" if overwrite else "0", tag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )


def wait_staged(process):
    assert process.stdout.readline().strip() == "staged"


def test_two_runs_racing_into_one_new_folder_one_saves_and_the_other_fails_clearly(tmp_path):
    target = tmp_path / "m"
    first, second = writer(target, 1.0, tag="first"), writer(target, 1.0, tag="second")
    results = [p.wait(timeout=60) for p in (first, second)]
    assert sorted(results) == [0, 2]
    loser = (first, second)[results.index(2)]
    message = loser.stderr.read().strip()
    assert len(message.splitlines()) == 1 and str(target) in message and "overwrite=true" in message
    assert (target / "stance.json").read_text() in ("first", "second")
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no staging left behind


def test_with_overwrite_the_last_one_wins_and_the_folder_is_always_whole(tmp_path):
    target = tmp_path / "m"
    first, second = writer(target, 0.5, True, "first"), writer(target, 1.5, True, "second")
    assert [p.wait(timeout=60) for p in (first, second)] == [0, 0]
    assert (target / "stance.json").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_run_killed_mid_save_leaves_nothing_that_outlives_the_next_save(tmp_path):
    target = tmp_path / "m"
    victim = writer(target, 60)
    wait_staged(victim)
    os.kill(victim.pid, signal.SIGKILL)  # also releases its lock: the next run must not block
    victim.wait(timeout=10)
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert not target.exists() and len(leftovers) == 1 and leftovers[0].startswith(".m.tmp-")
    started = time.monotonic()
    with atomic_folder(target, overwrite=False) as folder:
        (folder / "stance.json").write_text("{}")
    assert time.monotonic() - started < 5
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # the dead run's staging folder is gone


def test_a_live_runs_staging_folder_is_never_touched(tmp_path):
    target = tmp_path / "m"
    slow = writer(target, 3)
    wait_staged(slow)
    with atomic_folder(target, overwrite=False) as folder:  # a second run saves first
        (folder / "stance.json").write_text("fast")
    staging = [p for p in tmp_path.iterdir() if p.name.startswith(".m.tmp-")]
    assert len(staging) == 1 and (staging[0] / "stance.json").read_text() == "x"  # still there, still whole
    assert slow.wait(timeout=30) == 2  # then it refuses to replace the folder the other run made
    assert (target / "stance.json").read_text() == "fast"


def test_output_files_are_written_atomically(tmp_path):
    from stance.data.io import atomic_file

    path = tmp_path / "out.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_file(path) as stream:
        stream.write("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with atomic_file(path) as stream:
        stream.write("new\n")
    assert path.read_text() == "new\n"


def test_a_folder_in_place_of_an_output_file_is_a_clear_error(tmp_path):
    from stance.data.io import write_text

    with pytest.raises(StanceError, match="is a folder"):
        write_text(tmp_path, "x")
