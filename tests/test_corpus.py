"""Corpus-scale classify: streamed input formats, --output, --shard, merge, flat memory, scale-out."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_cli
from stance.cli import main
from stance.data import io as stance_io
from stance.data.inputs import RowReader
from stance.errors import StanceError

CORPUS = [
    "China can be an honest broker.",
    "",
    "Beijing's peace plan is a fig leaf that only reflects the Russian perspective.",
    "The two leaders had dinner in the Kremlin.",
    "   ",
    "Xi wants a seat at the table.",
    "Analysts doubt that Beijing is impartial.",
]


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def _env() -> dict:
    # Subprocesses import this checkout's package, whatever is installed in the environment.
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "é", "中", "\n", "\r", "\r\n", '"', ",", " ", "x,y", '"q\nr"']), max_size=40),
    st.integers(min_value=1, max_value=7),
)
def test_streamed_lines_match_reading_the_whole_file(parts, block):
    """Whatever the block boundaries (in the middle of a character or of a \\r\\n), streaming
    splits lines and CSV records exactly as reading the whole file does."""
    text = "".join(parts)
    raw = text.encode("utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stance_io, "BLOCK", block)
        lines = [
            line[:-2] if line.endswith("\r\n") else line.removesuffix("\n")
            for line in stance_io.iter_lines(io.BytesIO(raw), "x")
        ]
        streamed = list(csv.reader(stance_io.iter_lines(io.BytesIO(raw), "x", csv_line_ends=True)))
    expected = stance_io.split_lines(text)
    if expected and expected[-1] == "":
        expected.pop()
    assert lines == expected
    try:
        whole = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return  # the streamed reader may stop at another line of the same malformed file
    assert streamed == whole


def test_streamed_errors_name_the_line_across_blocks(monkeypatch):
    monkeypatch.setattr(stance_io, "BLOCK", 4)
    raw = "one\ntwo\nthré\n".encode() + b"caf\xe9\n"
    with pytest.raises(StanceError, match=r"x, line 4: not valid UTF-8"):
        list(stance_io.iter_lines(io.BytesIO(raw), "x"))
    monkeypatch.setattr(stance_io, "BLOCK", 1 << 16)  # a binary file is called binary, not mis-encoded
    with pytest.raises(StanceError, match="NUL bytes"):
        list(stance_io.iter_lines(io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "x"))


def test_txt_csv_and_jsonl_inputs_with_a_text_field(tfidf_model, tmp_path, capsys):
    txt = tmp_path / "in.txt"
    txt.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    table = tmp_path / "in.csv"
    with open(table, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([["id", "body"], *[[i, t] for i, t in enumerate(CORPUS)]])
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in enumerate(CORPUS)), encoding="utf-8")

    outputs = []
    for args in ([str(txt)], [str(table), "--text-field", "body"], [str(lines), "--text-field", "body"]):
        assert main(["classify", str(tfidf_model), "--json", "--file", *args]) == 0
        out, err = capsys.readouterr()
        rows = _json_lines(out)
        assert [r["index"] for r in rows] == list(range(len(CORPUS)))
        assert [r["text"] for r in rows] == [t.strip() for t in CORPUS]
        assert [r["label"] is None for r in rows] == [not t.strip() for t in CORPUS]
        assert "2 empty text(s) left unlabeled" in err
        outputs.append([(r["label"], r["scores"]) for r in rows])
    assert outputs[0] == outputs[1] == outputs[2]

    # stdin in any format, and the position of an empty CSV row is its spreadsheet row
    assert main(["classify", str(tfidf_model), "--file", str(table), "--text-field", "body"]) == 0
    assert f"{table}:row 3, {table}:row 6" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, content, extra, message",
    [
        ("a.jsonl", '{"text": "ok"}\n{"text": "no end"\n', [], "a.jsonl, line 2: not valid JSON"),
        ("a.jsonl", '{"text": "ok"}\n["x"]\n', [], "line 2: expected a JSON object, found list"),
        ("a.jsonl", '{"body": "ok"}\n', [], "line 1: no 'text' field (found: body); see --text-field"),
        ("a.jsonl", '{"text": 3}\n', [], "line 1: 'text' is a int, not a string"),
        ("a.json", '[{"text": "ok"}]', [], "give JSON lines (.jsonl"),
        ("a.txt", "ok\n", ["--text-field", "body"], "--text-field is for .csv and .jsonl input"),
        ("a.csv", "id,text\n1,ok\n", ["--text-field", "body"], "no 'body' column (found: id, text)"),
        ("a.csv", 'text\nok\n"a"b\n', [], "a.csv, line 3: malformed CSV"),
        ("a.csv", "text\n" + "ok\n" * 5000 + "x,y\n", [], "a.csv, row 5002: 2 fields but the header has 1"),
        ("a.txt", "ok\n" * 50000 + "caf\udce9\n", [], "a.txt, line 50001: not valid UTF-8"),
    ],
)
def test_bad_corpus_rows_exit_2_naming_the_line(tfidf_model, tmp_path, capsys, name, content, extra, message):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    output = tmp_path / "labels.jsonl"
    assert main(["classify", str(tfidf_model), "--file", str(path), "-o", str(output), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no output, no temporary file left


def test_output_appears_only_when_complete_and_replaces_the_old_file(tfidf_model, tmp_path, capsys):
    corpus = tmp_path / "in.txt"
    corpus.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    output = tmp_path / "out" / "labels.jsonl"
    assert main(["classify", str(tfidf_model), "--file", str(corpus), "--output", str(output)]) == 0
    out, err = capsys.readouterr()
    assert out == ""  # everything went to the file: JSON lines, as its suffix says
    assert "5 classified, 2 empty" in err and f"written to {output}" in err
    rows = _json_lines(output.read_text(encoding="utf-8"))
    assert len(rows) == len(CORPUS) and rows[0]["index"] == 0

    before = output.read_bytes()
    corpus.write_bytes(corpus.read_bytes() + b"bad \xff\n")  # fails on the last line, after output was written
    assert main(["classify", str(tfidf_model), "--file", str(corpus), "--output", str(output)]) == 2
    assert output.read_bytes() == before and sorted(p.name for p in output.parent.iterdir()) == ["labels.jsonl"]
    assert "line 8: not valid UTF-8" in capsys.readouterr().err

    assert main(["classify", str(tfidf_model), "--file", str(corpus), "--output", str(corpus)]) == 2
    assert "is the input file" in capsys.readouterr().err

    table = tmp_path / "labels.txt"
    assert main(["classify", str(tfidf_model), "--output", str(table), CORPUS[0]]) == 0
    assert table.read_text(encoding="utf-8").startswith("label ")  # no .jsonl suffix, no --json: the table


def test_shards_are_disjoint_and_their_union_is_the_single_run(tfidf_model, tmp_path, capsys):
    corpus = tmp_path / "corpus.csv"
    texts = [CORPUS[i % len(CORPUS)] + (f" ({i})" if CORPUS[i % len(CORPUS)].strip() else "") for i in range(50)]
    with open(corpus, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([["text"], *[[t] for t in texts]])
    single = tmp_path / "single.jsonl"
    assert main(["classify", str(tfidf_model), "--file", str(corpus), "--json", "-o", str(single)]) == 0
    expected = {r["index"]: r for r in _json_lines(single.read_text(encoding="utf-8"))}
    assert sorted(expected) == list(range(50))

    n = 3
    shards, seen = [], set()
    for k in range(n):
        path = tmp_path / f"part{k}.jsonl"
        assert main(["classify", str(tfidf_model), "--file", str(corpus), "--shard", f"{k}/{n}", "-o", str(path)]) == 0
        assert f"(shard {k}/{n}: " in capsys.readouterr().err
        rows = _json_lines(path.read_text(encoding="utf-8"))
        assert all(r["index"] % n == k for r in rows)
        indices = {r["index"] for r in rows}
        assert not indices & seen
        seen |= indices
        for r in rows:
            assert (r["text"], r["label"], r["scores"]) == (
                expected[r["index"]]["text"],
                expected[r["index"]]["label"],
                expected[r["index"]]["scores"],
            )
        shards.append(path)
    assert seen == set(expected)

    merged = tmp_path / "merged.jsonl"
    assert main(["merge", *map(str, reversed(shards)), "-o", str(merged)]) == 0
    assert merged.read_bytes() == single.read_bytes()
    assert "50 rows of 3 shard file(s) merged" in capsys.readouterr().err

    # a shard that holds no row (more shards than rows), or only empty ones, is not an error
    few = tmp_path / "few.txt"
    few.write_text("One.\n\n", encoding="utf-8")
    assert main(["classify", str(tfidf_model), "--file", str(few), "--json", "--shard", "3/4"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["classify", str(tfidf_model), "--file", str(few), "--json", "--shard", "1/2"]) == 0
    assert _json_lines(capsys.readouterr().out) == [
        {"index": 1, "text": "", "label": None, "scores": None, "skipped": "empty"}
    ]


def test_merge_refuses_incomplete_or_overlapping_shards(tfidf_model, tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(f"Sentence {i}." for i in range(10)) + "\n", encoding="utf-8")
    files = []
    for k in range(3):
        path = tmp_path / f"shard-{k:05d}-of-00003.jsonl"
        assert main(["classify", str(tfidf_model), "-f", str(corpus), "--shard", f"{k}/3", "-o", str(path)]) == 0
        files.append(str(path))
    capsys.readouterr()
    out = tmp_path / "merged.jsonl"
    cases = {
        (files[0], files[1]): "shard(s) 2 of 3 missing",
        (files[0], files[1], files[2], files[1]): "is also in another shard file",
        (files[0], files[2], str(tmp_path / "other.jsonl")): "rows 1 to 1 are in none of the shard files",
    }
    (tmp_path / "other.jsonl").write_text('{"index": 20}\n')
    for args, message in cases.items():
        assert main(["merge", *args, "-o", str(out)]) == 2
        assert message in capsys.readouterr().err, args
        assert not out.exists()
    table = tmp_path / "table.txt"
    table.write_text("label        score  text\n")
    assert main(["merge", str(table)]) == 2
    assert "not a JSON object" in capsys.readouterr().err
    other = tmp_path / "shard-00001-of-00002.jsonl"
    other.write_text('{"index": 1}\n')
    assert main(["merge", files[0], str(other)]) == 2
    assert "shard files of different splits (of 2, 3)" in capsys.readouterr().err
    assert main(["classify", str(tfidf_model), "x", "--shard", "3/3"]) == 2
    assert "K must be between 0 and N-1" in capsys.readouterr().err
    assert main(["classify", str(tfidf_model), "x", "--shard", "1-4"]) == 2
    assert "expected K/N" in capsys.readouterr().err


def test_progress_bar_on_stderr(tfidf_model, tmp_path, capsys):
    from stance.corpus import classify_corpus

    corpus = tmp_path / "c.txt"
    corpus.write_text("Sentence.\n" * 3000, encoding="utf-8")
    summary = classify_corpus(tfidf_model, file=str(corpus), output=tmp_path / "o.jsonl", as_json=True, progress=True)
    assert summary.written == 3000
    err = capsys.readouterr().err
    assert "classify" in err and "30.0k/30.0k" in err and "3,000 rows" in err


def _peak_rss_kb(args: list[str]) -> int:
    """Peak resident memory of one `stance` child process (its own, not the test's)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stance", *args], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return usage.ru_maxrss  # kilobytes on Linux


def test_memory_stays_flat_from_3000_to_300000_lines(tfidf_model, tmp_path):
    """The point of streaming: 100 times the input, the same peak memory (it was +200 MB)."""
    sizes = {}
    for n in (3_000, 300_000):
        corpus = tmp_path / f"{n}.txt"
        with open(corpus, "w", encoding="utf-8") as stream:
            stream.writelines(f"No {i % 97}.\n" for i in range(n))  # short: the test stays fast
        output = tmp_path / f"{n}.jsonl"
        sizes[n] = _peak_rss_kb(["classify", str(tfidf_model), "-f", str(corpus), "-o", str(output)])
        with open(output, "rb") as stream:
            assert sum(1 for _ in stream) == n
    assert sizes[300_000] < sizes[3_000] * 1.1, sizes


def test_streaming_classify_imports_no_heavy_library(tfidf_model, tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "One."}\n{"text": "Two."}\n', encoding="utf-8")
    code = (
        "import sys; from stance.cli import main; "
        f"assert main(['classify', {str(tfidf_model)!r}, '-f', {str(corpus)!r}, '--shard', '0/2', "
        f"'-o', {str(tmp_path / 's0.jsonl')!r}]) == 0; "
        f"assert main(['merge', {str(tmp_path / 's0.jsonl')!r}]) == 0; "
        "heavy = ('torch', 'transformers', 'datasets', 'hydra', 'submitit', 'matplotlib'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, env=_env(), timeout=120)
    assert "HEAVY []" in result.stdout.decode(), result.stdout.decode() + result.stderr.decode()


def test_local_submitit_launcher_shards_and_merges_like_a_single_run(tfidf_model, tmp_path):
    """The scale-out path end to end: a Hydra sweep over 2 shards through hydra-submitit-launcher's
    local executor (the SLURM launcher runs the same jobs), merged into one file."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": i, "body": CORPUS[i % len(CORPUS)]}) + "\n" for i in range(40)), encoding="utf-8"
    )
    merged = tmp_path / "labels.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "scripts/classify_corpus.py",
            "-m",
            "hydra/launcher=local",
            "shards=2",
            f"model_dir={tfidf_model}",
            f"input={corpus}",
            f"output={merged}",
            "text_field=body",
            f"hydra.sweep.dir={tmp_path}/sweep",
        ],
        capture_output=True,
        cwd=ROOT,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert f"merged 2 shards, 40 rows, into {merged}" in result.stdout.decode()
    shard_files = sorted(p.name for p in (tmp_path / "labels.jsonl.shards").iterdir())
    assert shard_files == ["shard-00000-of-00002.jsonl", "shard-00001-of-00002.jsonl"]
    logs = "".join(p.read_text() for p in (tmp_path / "sweep" / ".submitit").glob("*/*_log.out"))
    assert "shard 0/2: 20 of 40 rows" in logs and "shard 1/2: 20 of 40 rows" in logs  # really ran as submitit jobs

    single = run_cli("classify", str(tfidf_model), "-f", str(corpus), "--text-field", "body", "--json")
    assert single.returncode == 0
    assert merged.read_bytes() == single.stdout


def test_scaleout_script_checks_before_any_job(tfidf_model, tmp_path):
    for args, message in [
        ([f"model_dir={tmp_path}/none", f"input={tmp_path}/c.txt"], "no such model folder"),
        (["-m", "shards=2", f"model_dir={tfidf_model}", f"input={tmp_path}/none.txt"], "no such file"),
    ]:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "classify_corpus.py"), *args, f"output={tmp_path}/o.jsonl"],
            capture_output=True,
            cwd=tmp_path,
            env=_env(),
            timeout=120,
        )
        lines = result.stderr.decode().strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr.decode()
        assert sorted(os.listdir(tmp_path)) == []  # no output, no Hydra folder


def test_row_reader_counts_rows_across_arguments_and_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a\n\nb\n", encoding="utf-8")
    rows = list(RowReader(["x", " "], str(path)))
    assert [(r.index, r.text, r.position) for r in rows] == [
        (0, "x", "argument 1"),
        (1, None, "argument 2"),
        (2, "a", f"{path}:1"),
        (3, None, f"{path}:2"),
        (4, "b", f"{path}:3"),
    ]
    lines = tmp_path / "c.jsonl"
    lines.write_text('{"text": "a"}\n\n{"text": null}\n{"text": " b "}', encoding="utf-8")  # no final newline
    assert [(r.index, r.text) for r in RowReader([], str(lines))] == [(0, "a"), (1, None), (2, None), (3, "b")]
