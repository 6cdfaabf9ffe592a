"""Bad input, broken model folders and untrusted files: one clear error, nothing executed."""

import io
import json
import pickle
import shutil
import string
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from stance.cli import main
from stance.data.labeled import load_labeled
from stance.errors import StanceError
from stance.model_folder import MANIFEST

LABELS = ["supportive", "skeptical", "neutral"]


def _main(argv, stdin: bytes = b"", capsys=None):
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        return main(argv)
    finally:
        sys.stdin = old


@pytest.mark.parametrize(
    "content, expect_rows, expect_error",
    [
        (b"\xef\xbb\xbfWith a BOM.\r\nWindows line end.\r\n", ["With a BOM.", "Windows line end."], None),
        (b"caf\xe9 latin-1\n", None, "line 1: not valid UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", None, "NUL bytes"),
        (b"ok\x00text\n", None, "NUL bytes"),
    ],
)
def test_text_files(tfidf_model, tmp_path, capsys, content, expect_rows, expect_error):
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    code = _main(["classify", str(tfidf_model), "--json", "--file", str(path)])
    out, err = capsys.readouterr()
    if expect_error:
        assert code == 2 and expect_error in err and str(path) in err
    else:
        assert code == 0
        assert [json.loads(x)["text"] for x in out.splitlines()] == expect_rows


def test_csv_with_multiline_fields_and_partly_empty_cells_stays_aligned(tfidf_model, tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"First line\nsecond line"\n2,\n3,"  "\n4,Last one\n', encoding="utf-8")
    assert _main(["classify", str(tfidf_model), "--json", "--file", str(path)]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["label"] is None for r in rows] == [False, True, True, False]
    assert rows[0]["text"] == "First line\nsecond line"
    assert "2 empty text(s) left unlabeled" in err and "row 3" in err


def test_a_one_megabyte_line_is_classified(tfidf_model, tmp_path, capsys):
    path = tmp_path / "big.txt"
    path.write_text(("China can mediate. " * 55000)[:1_000_000] + "\nShort.\n", encoding="utf-8")
    assert _main(["classify", str(tfidf_model), "--json", "--file", str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_non_utf8_argument_is_rejected(tfidf_model):
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "stance", "classify", str(tfidf_model), "ok", b"bad\xff"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and b"argument 2: not valid UTF-8" in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        ("text,label\nHi,neutral\nHo,favor\n", "row 3: unknown label 'favor'"),
        ("text,label\nHi,neutral\nHi,neutral\n", "row 3: duplicate text"),
        ("id,text,label\n1,Hi,neutral\n1,Ho,neutral\n", "row 3: duplicate id '1'"),
        ("text\nHi\n", "missing column(s) label"),
        ("", "empty file"),
    ],
)
def test_labeled_data_for_evaluate(tfidf_model, tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert _main(["evaluate", str(tfidf_model), str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def _copy(tfidf_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tfidf_model, folder)
    return folder


def test_newer_manifest_format_is_refused(tfidf_model, tmp_path, capsys):
    folder = _copy(tfidf_model, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["format_version"] = 99
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert _main(["classify", str(folder), "x"]) == 2
    assert "newer than this stance supports" in capsys.readouterr().err


def test_a_pickle_in_place_of_weights_is_refused_and_never_executed(tfidf_model, tmp_path, capsys):
    folder = _copy(tfidf_model, tmp_path)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "tfidf.safetensors").write_bytes(pickle.dumps(Exploit()))
    assert _main(["classify", str(folder), "x"]) == 2
    assert "corrupt or incomplete" in capsys.readouterr().err
    assert not marker.exists()


def test_missing_weights_file(tfidf_model, tmp_path, capsys):
    folder = _copy(tfidf_model, tmp_path)
    (folder / "tfidf_vocabulary.json").unlink()
    assert _main(["info", str(folder)]) == 0  # the manifest alone is still readable
    capsys.readouterr()
    assert _main(["classify", str(folder), "x"]) == 2
    assert "missing weights file tfidf_vocabulary.json" in capsys.readouterr().err


def test_unexpected_errors_exit_1_with_a_debug_hint(tfidf_model, monkeypatch, capsys):
    import stance.models

    def boom(folder):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(stance.models, "load_model", boom)
    assert _main(["classify", str(tfidf_model), "x"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: disk on fire (rerun with --debug" in err
    with pytest.raises(RuntimeError):
        _main(["classify", str(tfidf_model), "x", "--debug"])


def test_saving_is_atomic(tmp_path):
    from stance.model_folder import atomic_folder

    target = tmp_path / "m"
    with pytest.raises(OSError), atomic_folder(target, overwrite=False) as folder:
        (folder / "partial.bin").write_bytes(b"half")
        raise OSError("disk full")
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no staging left behind

    with atomic_folder(target, overwrite=False) as folder:
        (folder / "stance.json").write_text("v1")
    with pytest.raises(OSError), atomic_folder(target, overwrite=True) as folder:
        (folder / "stance.json").write_text("v2")
        raise OSError("killed")
    assert (target / "stance.json").read_text() == "v1"  # a failed replacement keeps the old model
    with atomic_folder(target, overwrite=True) as folder:
        (folder / "stance.json").write_text("v2")
    assert (target / "stance.json").read_text() == "v2"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
    with pytest.raises(StanceError, match="overwrite=true"), atomic_folder(target, overwrite=False):
        pass


def test_training_script_config_errors_are_one_line_exit_2():
    for args, message in [
        (["model=nope"], "unknown model 'nope'"),
        (["model=transformer", "model.epochs=-1"], "model.epochs must be positive"),
        (["model=transformer", "model.learning_rate=-0.1"], "model.learning_rate must be positive"),
        (["model.Cc=1"], "Key 'Cc' not in 'TfidfConfig'"),
    ]:
        result = __import__("subprocess").run(
            [sys.executable, "scripts/train.py", *args], capture_output=True, cwd=ROOT, timeout=120
        )
        err = result.stderr.decode().strip()
        assert result.returncode == 2 and message in err and len(err.splitlines()) == 1, (args, err)


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_loader_random_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    path.write_bytes(b"id,text,label,target,article\n" + raw)
    try:
        load_labeled(path, LABELS, required=("id", "text", "label", "target", "article"), unique_ids=True)
    except StanceError as err:
        assert str(path) in str(err)


csv_cells = st.text(alphabet=string.printable + 'éü中文\u2028"', max_size=20)


@FUZZ
@given(st.lists(st.tuples(csv_cells, st.sampled_from([*LABELS, "", "favor"])), max_size=8))
def test_fuzz_evaluate_random_csv(tfidf_model, tmp_path_factory, rows):
    import csv

    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    code = _main(["evaluate", str(tfidf_model), str(path), "--json", "--n-bootstrap", "20"])
    assert code in (0, 2)


@FUZZ
@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_fuzz_classify_random_unicode(tfidf_model, texts):
    stdin = "\n".join(texts).encode("utf-8", "surrogatepass")
    code = _main(["classify", str(tfidf_model), "--json", "-"], stdin=stdin)
    assert code in (0, 2)
