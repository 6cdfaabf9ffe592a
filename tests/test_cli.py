import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, run_cli

TEXT = "China can be an honest broker."


def _one_clean_line(result):
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    return lines[0]


def test_classify_json_prints_one_valid_object_per_text(tfidf_model):
    result = run_cli("classify", str(tfidf_model), "--json", TEXT, "Beijing's plan is a fig leaf.")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["text"] for r in rows] == [TEXT, "Beijing's plan is a fig leaf."]
    for row in rows:
        assert set(row["scores"]) == {"supportive", "skeptical", "neutral"}
        assert sum(row["scores"].values()) == pytest.approx(1, abs=1e-5)
        assert row["label"] == max(row["scores"], key=row["scores"].get)


def test_classify_table_stdin_and_files(tfidf_model, tmp_path):
    table = run_cli("classify", str(tfidf_model), TEXT)
    assert table.returncode == 0 and TEXT in table.stdout.decode() and "label" in table.stdout.decode()

    stdin = run_cli("classify", str(tfidf_model), "--json", "-", stdin=b"First one.\r\n\r\nSecond one.\n")
    rows = [json.loads(x) for x in stdin.stdout.decode().splitlines()]
    assert [r["text"] for r in rows] == ["First one.", "", "Second one."]  # aligned with input lines
    assert rows[1]["label"] is None and rows[1]["skipped"] == "empty"
    assert "1 empty text(s) left unlabeled: <stdin>:2" in stdin.stderr.decode()

    lines = tmp_path / "in.txt"
    lines.write_bytes("\ufeffOne.\nTwo.\n".encode())
    result = run_cli("classify", str(tfidf_model), "--json", "--file", str(lines))
    assert [json.loads(x)["text"] for x in result.stdout.decode().splitlines()] == ["One.", "Two."]

    table_csv = tmp_path / "in.csv"
    table_csv.write_text('id,text\n1,"A quoted, text"\n2,Another\n')
    result = run_cli("classify", str(tfidf_model), "--json", "--file", str(table_csv))
    assert [json.loads(x)["text"] for x in result.stdout.decode().splitlines()] == ["A quoted, text", "Another"]


def test_evaluate_json_on_any_csv_with_text_and_label(tfidf_model, tmp_path):
    data = tmp_path / "some.csv"
    data.write_text(
        "label,source,text\nskeptical,x,The plan is a fig leaf for Moscow.\n"
        "neutral,y,The leaders had dinner.\nsupportive,z,China can broker peace.\n"
    )
    result = run_cli("evaluate", str(tfidf_model), str(data), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert {"macro_f1", "f_avg", "accuracy", "n", "per_class", "confusion"} <= set(metrics)
    assert metrics["n"] == 3
    readable = run_cli("evaluate", str(tfidf_model), str(data))
    assert "macro-F1" in readable.stdout.decode() and "Confusion matrix" in readable.stdout.decode()
    assert metrics["trained_on"] == 0 and b"warning" not in readable.stderr


def test_evaluate_warns_when_rows_are_the_models_training_data(tfidf_model):
    result = run_cli("evaluate", str(tfidf_model), "seeds/sentences.csv", "--n-bootstrap", "20")
    assert result.returncode == 0
    assert b"warning: 279 of 279 rows of seeds/sentences.csv are sentences this model was trained on" in result.stderr


def test_info_and_data(tfidf_model):
    info = run_cli("info", str(tfidf_model))
    assert info.returncode == 0 and "kind:         tfidf" in info.stdout.decode()
    assert json.loads(run_cli("info", str(tfidf_model), "--json").stdout)["kind"] == "tfidf"
    data = run_cli("data", "seeds/sentences.csv")
    assert data.returncode == 0
    assert data.stdout.decode().splitlines()[-1].split() == ["total", "28", "79", "172", "279"]
    both = run_cli("data").stdout.decode()  # the seed sentences and the authored set
    assert "seeds/sentences.csv: 279 sentences" in both and "data/authored.csv:" in both
    by_voice = run_cli("data", "data/authored.csv", "--by", "voice")
    assert by_voice.returncode == 0 and by_voice.stdout.decode().splitlines()[1].split()[0] == "voice"


def test_bad_inputs_exit_2_with_one_line(tfidf_model, tmp_path):
    no_manifest = tmp_path / "empty_model"
    no_manifest.mkdir()
    bad_columns = tmp_path / "cols.csv"
    bad_columns.write_text("sentence,label\nHi,neutral\n")
    bad_label = tmp_path / "labels.csv"
    bad_label.write_text("text,label\nHi,positive\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    blank_lines = tmp_path / "blank.txt"
    blank_lines.write_text("\n  \n")
    cases = {
        ("classify", str(tmp_path / "missing"), TEXT): "no such model folder",
        ("classify", str(no_manifest), TEXT): "not a model folder",
        ("evaluate", str(tfidf_model), str(bad_columns)): "missing column(s) text",
        ("evaluate", str(tfidf_model), str(bad_label)): "row 2: unknown label 'positive'",
        ("evaluate", str(tfidf_model), str(empty)): "empty file",
        ("classify", str(tfidf_model), "--file", str(empty)): "empty file",
        ("classify", str(tfidf_model), "--file", str(blank_lines)): "no non-empty text",
        ("classify", str(tfidf_model), "--file", str(bad_columns.with_suffix(".nope"))): "no such file",
        ("classify", str(tfidf_model), "--jsn", TEXT): "unrecognized arguments: --jsn",
        ("classify",): "the following arguments are required",
    }
    for args, message in cases.items():
        result = run_cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in _one_clean_line(result), args


def test_broken_manifest_and_weights(tfidf_model, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tfidf_model, broken)
    (broken / "stance.json").write_text("{not json")
    assert "not valid JSON" in _one_clean_line(run_cli("classify", str(broken), TEXT))
    shutil.copy(tfidf_model / "stance.json", broken / "stance.json")
    weights = broken / "tfidf.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    result = run_cli("classify", str(broken), TEXT)
    assert result.returncode == 2 and "corrupt or incomplete" in _one_clean_line(result)


def test_classifying_with_tfidf_imports_no_heavy_library(tfidf_model):
    code = (
        "import sys; from stance.cli import main; "
        f"assert main(['classify', {str(tfidf_model)!r}, 'x']) == 0; "
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'hydra', 'matplotlib', 'sentence_transformers') "
        "if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120)
    assert "HEAVY []" in result.stdout.decode(), result.stdout.decode() + result.stderr.decode()


def test_console_script_is_installed(tfidf_model):
    stance = shutil.which("stance", path=str(ROOT / ".venv" / "bin")) or shutil.which("stance")
    assert stance, "the `stance` console script is not installed"
    result = subprocess.run([stance, "classify", str(tfidf_model), "--json", TEXT], capture_output=True, timeout=120)
    assert json.loads(result.stdout)["text"] == TEXT


def test_min_confidence_and_explain(tfidf_model):
    text = "Beijing's peace plan is a fig leaf that only reflects the Russian perspective."
    result = run_cli("classify", str(tfidf_model), "--json", "--explain", "--min-confidence", "0.99", text, TEXT)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert all(r["label"] == "uncertain" for r in rows if max(r["scores"].values()) < 0.99)
    sure = run_cli("classify", str(tfidf_model), "--json", "--explain", "--min-confidence", "0.5", text)
    row = json.loads(sure.stdout)
    assert row["label"] == "skeptical"
    grams = [gram for gram, weight in row["explanation"]]
    assert grams and all(weight > 0 for _, weight in row["explanation"])
    assert any(gram in text.lower() for gram in grams)
    bad = run_cli("classify", str(tfidf_model), "--min-confidence", "1.5", TEXT)
    assert bad.returncode == 2 and b"must be between 0 and 1" in bad.stderr


def test_analyze_articles(tfidf_model, tmp_path):
    article = tmp_path / "new_article.txt"
    article.write_text(
        "Home » News\nChina can be an honest broker.\n\nAnalysts doubt <b>Beijing</b> is impartial. "
        "The plan is a fig leaf for Moscow.\nThe leaders had dinner.\n",
        encoding="utf-8",
    )
    page = tmp_path / "out.html"
    result = run_cli(
        "analyze", str(tfidf_model), str(article), "seeds/003_efe932c9993e584c.txt", "--json", "--html", str(page)
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["article"] for r in rows] == ["new_article", "003_efe932c9993e584c"]
    first = rows[0]
    assert first["n_sentences"] == 4  # the breadcrumb is not a sentence
    assert sum(first["counts"].values()) == 4
    assert abs(sum(first["shares"].values()) - 1) < 1e-9
    assert -1 <= first["net_stance"] <= 1
    low, high = first["net_stance_interval"]
    assert low <= first["net_stance"] <= high
    assert set(first["evidence"]) == {"supportive", "skeptical"}
    html = page.read_text(encoding="utf-8")
    assert html.count('class="s"') == 4 + rows[1]["n_sentences"]
    assert "&lt;b&gt;Beijing&lt;/b&gt;" in html and "<b>Beijing" not in html  # text is escaped
    table = run_cli("analyze", str(tfidf_model), str(article))
    assert b"net stance" in table.stdout and b"new_article" in table.stdout

    empty = tmp_path / "empty.txt"
    empty.write_text("- Menu\n- Items\n")
    bad = run_cli("analyze", str(tfidf_model), str(empty))
    assert bad.returncode == 2 and b"no sentences found" in bad.stderr


def test_audit_flags_a_planted_label_error(tmp_path):
    rows = ["id,text,label,article"]
    words = {
        "supportive": "honest broker credible mediator",
        "skeptical": "fig leaf biased one-sided",
        "neutral": "dinner airport itinerary met",
    }
    n = 0
    for article in ("a", "b", "c"):
        for label, text in words.items():
            for i in range(4):
                n += 1
                rows.append(f"{n},{text} {article}{i} {n},{label},{article}")
    rows[2] = rows[2].replace(",supportive,", ",skeptical,")  # id 2, a supportive sentence, mislabeled
    data = tmp_path / "data.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "issues.csv"
    result = run_cli("audit", str(data), "--model", "tfidf", "-o", str(out))
    assert result.returncode == 0, result.stderr
    import csv

    flagged = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert flagged and flagged[0]["id"] == "2"
    assert flagged[0]["given"] == "skeptical" and flagged[0]["suggested"] == "supportive"
    assert run_cli("audit", str(data), "--model", "nope").returncode == 2


def test_suggest_picks_uncertain_and_diverse_sentences(tfidf_model, tmp_path):
    from stance.suggest import select

    probabilities = np.array([[0.34, 0.33, 0.33], [0.34, 0.33, 0.33], [0.9, 0.05, 0.05], [0.5, 0.3, 0.2]])
    texts = ["the same words here", "the same words here", "something else", "another sentence"]
    assert select(probabilities, texts, 2, diversity=0.0) == [0, 1]  # uncertainty alone: the twins
    assert select(probabilities, texts, 2, diversity=1.0)[1] != 1  # diversity skips the duplicate

    pool = tmp_path / "pool.txt"
    pool.write_text("China can broker peace.\n\nThe plan is a fig leaf.\nXi landed.\nAnalysts doubt it.\n")
    out = tmp_path / "next.csv"
    result = run_cli("suggest", str(tfidf_model), str(pool), "-n", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    import csv

    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 2 and all(r["label"] == "" for r in rows)
    assert all(r["source"].startswith(str(pool)) for r in rows)
