import csv

from conftest import ROOT, SEEDS
from stance.data.articles import extract, split_article, split_paragraph


def test_abbreviations_and_initials_do_not_end_sentences():
    text = (
        "On February 18, U.S. Secretary of State Anthony Blinken spoke. Paul Haenle served "
        "under presidents George W. Bush and Barack Obama. Mr. Putin did not answer."
    )
    assert split_paragraph(text) == [
        "On February 18, U.S. Secretary of State Anthony Blinken spoke.",
        "Paul Haenle served under presidents George W. Bush and Barack Obama.",
        "Mr. Putin did not answer.",
    ]


def test_multi_sentence_quotes_split_and_keep_closing_quotes():
    text = (
        "“The mood has been set. The framework has been set. But the solution is vague,” said "
        "Mitter. “In the whole world, this evokes interest.” Then he left."
    )
    assert split_paragraph(text) == [
        "“The mood has been set.",
        "The framework has been set.",
        "But the solution is vague,” said Mitter.",
        "“In the whole world, this evokes interest.”",
        "Then he left.",
    ]


def test_lowercase_after_period_and_ellipsis_stay_joined():
    assert split_paragraph("It grew … ...maybe life would be easier. Done.") == [
        "It grew … ...maybe life would be easier.",
        "Done.",
    ]
    assert split_paragraph("He works in Washington, D.C.") == ["He works in Washington, D.C."]


def test_boilerplate_is_dropped_and_headings_kept():
    page = "\n".join(
        [
            "Tuesday, June 25, 2024",
            "Home » A title",
            "A title",
            "",
            "A title",
            "by Mon Mau",
            "0 comment 69 views",
            "First sentence here. Second one.",
            "Alexei Druzhinin/Sputnik/AFP via Getty Images",
            "A heading without a period",
            ">> Read also: Something else",
            "More: Another link",
            "Source: National Public Radio",
            "- Art",
            "- Crafts",
            "You may also like",
            "Footer text that is not article.",
        ]
    )
    assert split_article(page) == ["A title", "First sentence here.", "Second one.", "A heading without a period"]


def test_seed_articles_reproduce_the_data_set(tmp_path):
    articles = sorted((ROOT / "seeds").glob("*.txt"))
    out = tmp_path / "extracted.csv"
    with open(out, "w", newline="", encoding="utf-8") as stream:
        kept = extract(articles, SEEDS, "china-mediator", stream)
    assert kept == 279
    assert out.read_text(encoding="utf-8") == SEEDS.read_text(encoding="utf-8")


def test_extract_leaves_new_sentences_unlabeled(tmp_path):
    article = tmp_path / "new.txt"
    article.write_text("China can be an honest broker. Beijing's peace plan is a fig leaf.\n", encoding="utf-8")
    out = tmp_path / "new.csv"
    with open(out, "w", newline="", encoding="utf-8") as stream:
        assert extract([article], SEEDS, "china-mediator", stream) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["id"] for r in rows] == ["new-001", "new-002"]
    assert all(r["label"] == "" and r["article"] == "new" for r in rows)
