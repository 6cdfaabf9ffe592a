"""News articles: split them into the sentences we label (leaving out site boilerplate), and
turn new articles into a CSV ready to label.

A small rule set rather than pysbd or nltk: pysbd keeps multi-sentence quotes as one unit
and strands curly closing quotes, and nltk's punkt needs a data download.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from stance.data.io import parse_csv, read_text_file, write_csv
from stance.errors import StanceError

# Lines that belong to the web page, not the article: navigation, widgets, bylines,
# dates, photo credits, related-article links.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-\s+\S+(\s+\S+){0,2}$",  # menu item ("- Art")
        r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday),\s+\w+\s+\d{1,2},\s+\d{4}$",
        r"^home\s*»",  # breadcrumb ("Home » Title")
        r"^home[A-Z]",  # breadcrumb glued together ("HomeInternational News...")
        r"^by\s+[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,3}$",  # byline
        r"^\d+\s+comments?\s+\d+\s+views?$",
        r"via getty images$|^(photo|image|credit)s?\s*:",  # photo credit
        r"^(>>\s*)?read (also|more)\s*:",
        r"^more\s*:",
        r"^source\s*:",
        r"^(part of )?(the|this) (article|story|report) (was|is) (partly )?reported by",
        r"^no time to read\?$",
        r"^get a summary$",
    )
]
# Lines after which the page holds no more article text.
_END_OF_ARTICLE = re.compile(
    r"^(source link|previous article|next article|you may also like|related articles?)$",
    re.IGNORECASE,
)
# Abbreviations whose period does not end a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "gen",
    "gov",
    "sen",
    "rep",
    "lt",
    "col",
    "sgt",
    "capt",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "inc",
    "corp",
    "co",
    "ltd",
}
# A candidate end: terminal punctuation, any closing quotes/brackets, then whitespace.
_CANDIDATE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"“‘'(\[]*[A-Z0-9]")


def is_boilerplate(line: str) -> bool:
    """True for page furniture (menus, bylines, dates, credits) rather than article text."""
    return any(p.search(line) for p in _BOILERPLATE)


def _ends_sentence(text: str, end: int, match_start: int) -> bool:
    if not _NEXT_STARTS_SENTENCE.match(text, end):
        return False
    if text[match_start] != ".":
        return True
    word = re.search(r"(\S+)$", text[:match_start])
    if word is None:
        return True
    token = word.group(1).lstrip("\"“‘'([")
    if token.lower().rstrip(".") in _ABBREVIATIONS:
        return False
    if token.lower() == "no" and re.match(r"\s+\d", text[end:]):
        return False  # "No. 5"; a plain "no." ends a sentence
    # Initials ("George W. Bush") and dotted acronyms ("U.S.", "D.C.") do not end sentences.
    return not re.fullmatch(r"([A-Za-z]\.)*[A-Z]", token)


def split_paragraph(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, also inside multi-sentence quotes."""
    paragraph = " ".join(paragraph.split())
    sentences, start = [], 0
    for match in _CANDIDATE_END.finditer(paragraph):
        if _ends_sentence(paragraph, match.end(), match.start()):
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def split_article(text: str) -> list[str]:
    """Sentences of an article's body, in order, without boilerplate or repeated lines.

    Each line is a paragraph or a heading; headings are kept as sentences because they
    can carry a stance.
    """
    sentences: list[str] = []
    seen: set[str] = set()
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        if _END_OF_ARTICLE.match(line):
            if sentences:
                break
            continue  # before the body (a "Related articles" box on top): skip just the marker
        if is_boilerplate(line):
            continue
        for sentence in split_paragraph(line):
            if sentence not in seen:  # titles often appear twice on a page
                seen.add(sentence)
                sentences.append(sentence)
    return sentences


def split_article_file(path: str | Path) -> list[str]:
    """Read an article (UTF-8, BOM tolerated) and split it into sentences."""
    return split_article(Path(path).read_text(encoding="utf-8-sig"))


def known_labels(data_path: Path | None) -> dict[str, str]:
    """text -> label of an existing labeled file (empty when no file is given)."""
    if data_path is None:
        return {}
    header, rows = parse_csv(read_text_file(data_path), str(data_path))
    if "text" not in header or "label" not in header:
        raise StanceError(f"{data_path}: needs 'text' and 'label' columns to carry labels over")
    text_column, label_column = header.index("text"), header.index("label")
    return {row[text_column].strip(): row[label_column].strip() for row in rows}


def extract(articles: Sequence[str | Path], data_path: Path | None, target: str, out: TextIO = sys.stdout) -> int:
    """Write id,text,label,target,article rows for every sentence; returns how many kept a label."""
    labels = known_labels(data_path)
    stems = [Path(a).stem for a in articles]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise StanceError(f"two articles share the file name {repeated[0]!r}: ids and article names would collide")
    rows, kept = [], 0
    for article in articles:
        stem = Path(article).stem
        for number, sentence in enumerate(split_article(read_text_file(article)), start=1):
            label = labels.get(sentence, "")
            kept += bool(label)
            rows.append([f"{stem}-{number:03d}", sentence, label, target, stem])
    write_csv(out, ["id", "text", "label", "target", "article"], rows)
    return kept
