import pytest

from conftest import SEEDS
from stance.data.labeled import load_labeled
from stance.errors import StanceError

LABELS = ["supportive", "skeptical", "neutral"]
SEED_COLUMNS = ("id", "text", "label", "target", "article")


def load_seed_file(path):
    return load_labeled(path, LABELS, required=SEED_COLUMNS, unique_ids=True)


def test_seed_data_loads():
    data = load_seed_file(SEEDS)
    assert len(data) == 279
    assert set(SEED_COLUMNS) <= set(data.columns)
    assert set(data.labels) == set(LABELS)
    assert len(set(data.columns["article"])) == 5
    assert len(set(data.columns["id"])) == 279
    assert set(data.columns["target"]) == {"china-mediator"}


def _write(tmp_path, content: str | bytes, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        ("id,text,label,target,article\n", "no data rows"),
        ("", "empty file"),
        ("id,text,target,article\n1,Hi,t,a\n", "missing column(s) label"),
        ("id,text,label,target,article\n1,Hi,positive,t,a\n", "row 2: unknown label 'positive'"),
        ("id,text,label,target,article\n1,Hi,neutral,t,a\n2,  ,neutral,t,a\n", "row 3: empty text"),
        (
            "id,text,label,target,article\n1,Hi,neutral,t,a\n2,Hi,neutral,t,a\n",
            "row 3: duplicate text (same as row 2)",
        ),
        ("id,text,label,target,article\n1,Hi,neutral,t,a\n1,Ho,neutral,t,a\n", "row 3: duplicate id '1'"),
        ("id,text,label,target,article\n1,Hi, there,neutral,t,a\n", "row 2: 6 fields but the header has 5"),
        (b"id,text,label,target,article\n1,\xff\xfe,neutral,t,a\n", "line 2: not valid UTF-8"),
        (b"id,text,label\x00\n", "NUL bytes"),
        ("id,text,text,label,target,article\n", "column 'text' appears more than once"),
    ],
)
def test_bad_files_get_one_clear_error_naming_file_and_row(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(StanceError) as error:
        load_seed_file(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_bom_crlf_and_extra_columns_are_fine(tmp_path):
    path = _write(tmp_path, '\ufefftext,label,source\r\nChina helps.,supportive,x\r\n"Two\nlines",neutral,y\r\n')
    data = load_labeled(path, LABELS)
    assert data.texts == ["China helps.", "Two\nlines"]
    assert data.labels == ["supportive", "neutral"]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(StanceError, match="no such file"):
        load_labeled(tmp_path / "nope.csv", LABELS)


def test_a_cell_longer_than_the_csv_module_default_limit(tmp_path):
    long_text = "China can mediate. " * 12000  # ~230 KB, over csv's default 131,072-character field limit
    path = _write(tmp_path, f'text,label\n"{long_text}",neutral\n')
    assert load_labeled(path, LABELS).texts == [long_text.strip()]
