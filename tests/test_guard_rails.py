"""Warnings before wrong answers: inputs that would be read the wrong way get a hint or a clear
refusal, and thin figures say so (issue: a newcomer's first hour)."""

import json
import shutil

from conftest import run_cli
from stance.model_folder import MANIFEST


def test_a_positional_text_that_names_a_file_gets_a_hint(tfidf_model, tmp_path):
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("China can mediate.\nThe leaders met.\n", encoding="utf-8")
    result = run_cli("classify", str(tfidf_model), str(sentences))
    assert result.returncode == 0
    assert f"use --file {sentences}".encode() in result.stderr
    assert result.stdout.decode().count("\n") == 2  # header + the file name, classified as asked


def test_analyze_refuses_a_csv(tfidf_model):
    result = run_cli("analyze", str(tfidf_model), "seeds/sentences.csv")
    assert result.returncode == 2 and b"classify MODEL --file" in result.stderr


def test_suggest_refuses_prose_lines_and_splits_them_with_split(tfidf_model, tmp_path):
    article = tmp_path / "article.txt"
    paragraph = " ".join(["China says it wants peace talks, and critics in Kyiv doubt it will press Moscow."] * 6)
    article.write_text(f"{paragraph}\n{paragraph}\n", encoding="utf-8")
    refused = run_cli("suggest", str(tfidf_model), str(article))
    assert refused.returncode == 2 and b"pass --split" in refused.stderr
    split = run_cli("suggest", str(tfidf_model), str(article), "--split", "-n", "2")
    assert split.returncode == 0, split.stderr
    assert b"sentence 1" in split.stdout or b"sentence 2" in split.stdout


def test_explain_is_refused_before_a_model_that_cannot_explain_loads(tfidf_model, tmp_path):
    folder = tmp_path / "setfit-like"
    folder.mkdir()
    manifest = json.loads((tfidf_model / MANIFEST).read_text())
    (folder / MANIFEST).write_text(json.dumps({**manifest, "kind": "setfit"}))  # no weights: loading would fail
    result = run_cli("classify", str(folder), "--explain", "China can mediate.")
    assert result.returncode == 2 and b"--explain works for linear n-gram models" in result.stderr


def test_a_net_stance_resting_on_few_stance_sentences_is_flagged(tfidf_model, tmp_path):
    article = tmp_path / "short.txt"
    article.write_text("The leaders had dinner in the Kremlin.\nBeijing's plan is a fig leaf for Moscow.\n")
    result = run_cli("analyze", str(tfidf_model), str(article), "--json")
    assert result.returncode == 0
    row = json.loads(result.stdout)
    assert row["warnings"] and b"says little" in result.stderr
    low, high = row["net_stance_interval"]
    assert high - low > 0  # classifier uncertainty widens even a one-sentence verdict


def test_reports_point_to_errors_and_show_accuracy_against_the_baseline(tfidf_model):
    report = (tfidf_model / "report.md").read_text()
    assert "errors.csv" in report and "| majority baseline |" in report and "accuracy" in report


def test_help_names_every_command_and_info_shows_data_and_size(tfidf_model):
    from stance.cli.main import COMMANDS

    help_text = run_cli("--help").stdout.decode()
    assert all(name in help_text.split("\n")[0] + help_text for name in COMMANDS)
    info = run_cli("info", str(tfidf_model)).stdout.decode()
    assert "data:         seeds/sentences.csv (279 sentences, scored)" in info and "size:" in info


def test_training_reports_progress_on_stderr(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    shutil.rmtree(tmp_path / "m", ignore_errors=True)
    result = subprocess.run(
        [
            sys.executable,
            "scripts/train.py",
            "data.train_only=[]",
            "final_fit=false",
            "n_bootstrap=20",
            "model.char_ngram_max=3",
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "fold 1/5: holding out" in result.stderr and "fold 5/5" in result.stderr
    assert result.stdout.startswith("tfidf: macro-F1")
