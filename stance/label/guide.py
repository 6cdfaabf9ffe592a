"""Label definitions for the page, read from the annotation guide (a Markdown table)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# A table row of the guide: | `supportive` | credible, impartial, ... |
_ROW = re.compile(r"^\|\s*`?\*{0,2}([^|`*]+?)\*{0,2}`?\s*\|\s*(.+?)\s*\|\s*$")


@dataclass
class Guide:
    """The guide's text, the table's lead-in (its second column heading) and each label's row."""

    text: str | None = None
    lead: str | None = None
    definitions: dict[str, str] = field(default_factory=dict)


def default_guide() -> Path | None:
    """The project's guide, docs/annotation.md, when stance runs from a checkout."""
    from stance.data.io import PROJECT_ROOT

    path = PROJECT_ROOT / "docs" / "annotation.md"
    return path if path.is_file() else None


def read_guide(path: str | Path | None, labels: list[str]) -> Guide:
    """The guide with the definitions of the labels its table defines.

    An explicit path must exist; without one, the project's guide is used when present, so
    an installed package without docs/ still works (the page then says no guide was found).
    """
    if path is None:
        path = default_guide()
        if path is None:
            return Guide()
    from stance.data.io import read_text_file

    guide = Guide(text=read_text_file(path))
    for line in guide.text.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        name, definition = match.group(1).strip(), re.sub(r"[`*]", "", match.group(2)).strip()
        if name in labels:
            guide.definitions[name] = definition
        elif name == "label" and guide.lead is None:
            guide.lead = definition
    return guide
