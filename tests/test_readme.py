"""The README stays true: its config-error examples print exactly what it shows, and every
command it names exists (a renamed script or subcommand fails here, not in a newcomer's hands)."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for every `$ ` line in a console block."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                shown = []
                for following in lines[i + 1 :]:
                    if following.startswith("$ "):
                        break
                    shown.append(following)
                examples.append((line[2:], shown))
    return examples


ERROR_EXAMPLES = [
    (c, shown)
    for c, shown in console_examples()
    if c.startswith("python scripts/train.py ") and shown and shown[0].startswith("error:")
]


@pytest.mark.parametrize(("command", "shown"), ERROR_EXAMPLES, ids=[c for c, _ in ERROR_EXAMPLES])
def test_readme_config_error_examples_print_what_the_readme_shows(command, shown):
    result = subprocess.run(
        [sys.executable, *command.split()[1:]], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [line for line in shown if line.strip()]


def test_every_stance_subcommand_in_the_readme_exists():
    from stance.cli.main import COMMANDS

    used = set(re.findall(r"(?:^\$ |`)stance ([a-z]+)\b", README, re.M))
    assert len(used) >= 8 and used <= set(COMMANDS), sorted(used - set(COMMANDS))


def test_every_script_and_benchmark_module_in_the_readme_exists():
    scripts = set(re.findall(r"python (scripts/[\w/]+\.py)", README))
    modules = set(re.findall(r"python -m (benchmarks\.\w+)", README))
    assert scripts and modules
    for script in scripts:
        assert (ROOT / script).is_file(), script
    for module in modules:
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
