"""data.search: settings chosen on the val split, per target, and never on test."""

import json

import pytest

from conftest import compose, run_cli
from stance.errors import StanceError
from stance.models import load_model
from stance.training import train as run

IDS = {"none": "0", "against": "1", "favor": "2"}
WORDS = {"favor": "love adore", "against": "hate awful", "none": "weather train"}


def _write(root, target, split, rows):
    (root / target).mkdir(exist_ok=True)
    tweets = "".join(f"{text} {target} #{i}\n" for i, (text, _) in enumerate(rows))
    (root / target / f"{split}_text.txt").write_text(tweets)
    (root / target / f"{split}_labels.txt").write_text("".join(f"{IDS[label]}\n" for _, label in rows))


def _folder(root, test_label="favor"):
    """Two targets whose val splits want different settings.

    Both train splits are mostly `against`. `dogs` val is what training predicts: a well-fitted
    model (C=10) wins there. `cats` val is labeled `against` throughout although its tweets carry
    the favor words, so the model that ignores the text and says the majority label (C=1e-6)
    wins there. The test split is labeled `test_label`, to show it never sways the choice.
    """
    train = [(WORDS["against"], "against")] * 16 + [(WORDS["favor"], "favor")] * 6 + [(WORDS["none"], "none")] * 4
    for target in ("cats", "dogs"):
        _write(root, target, "train", train)
        _write(root, target, "test", [(WORDS["favor"], test_label)] * 6 + [(WORDS["against"], "against")] * 6)
    _write(root, "cats", "val", [(WORDS["favor"], "against")] * 8)
    _write(root, "dogs", "val", [(WORDS["favor"], "favor")] * 4 + [(WORDS["against"], "against")] * 4)
    return root


def _overrides(root, *extra):
    return (
        "data=tweeteval",
        f"data.path={root}",
        "data.options.targets=[cats,dogs]",
        "n_bootstrap=20",
        "model=tfidf",
        "model.char_ngram_max=3",
        # Overrides merge into tweeteval.yaml's grid: set each of its lists.
        "data.search.tfidf.C=[10,1e-6]",
        "data.search.tfidf.class_weight=[null]",
        "data.search.tfidf.word_ngram_max=[2]",
        *extra,
    )


@pytest.fixture(scope="module")
def search_folder(tmp_path_factory):
    return _folder(tmp_path_factory.mktemp("search"))


def test_each_target_keeps_the_setting_that_did_best_on_its_own_val(search_folder, tmp_path):
    folder = tmp_path / "model"
    result = run(compose(*_overrides(search_folder, f"output_dir={folder}")))
    chosen = result.search["chosen"]
    assert {target: settings["C"] for target, settings in chosen.items()} == {"cats": 1e-6, "dogs": 10}
    assert result.search["val_f_avg"]["dogs"][0] == 1.0  # C=10 on dogs
    assert "chosen on val" in result.protocol

    # The saved model carries the choice, and each target's model was fitted with its own C.
    manifest = json.loads((folder / "stance.json").read_text())
    assert manifest["config"]["model"]["target_settings"] == chosen
    model, _ = load_model(folder)
    assert {t: m.config.C for t, m in model.models.items()} == {"cats": 1e-6, "dogs": 10}
    tweets = [f"{WORDS['favor']} x", f"{WORDS['favor']} x"]
    assert [model.labels[i] for i in model.predict_proba(tweets, ["cats", "dogs"]).argmax(axis=1)] == [
        "against",  # cats' model ignores the words and says its majority label
        "favor",
    ]
    assert "## Settings chosen on val" in (folder / "report.md").read_text()
    shown = run_cli("info", str(folder))
    assert shown.returncode == 0 and b"target_settings" in shown.stdout


def test_the_test_split_never_sways_the_choice(search_folder, tmp_path):
    other = _folder(tmp_path, test_label="none")  # every test label changed
    first = run(compose(*_overrides(search_folder, "final_fit=false")))
    second = run(compose(*_overrides(other, "final_fit=false")))
    assert first.search == second.search
    assert first.scores.f_avg != second.scores.f_avg  # the test split itself did change


def test_a_joint_model_makes_one_choice_on_the_pooled_val(search_folder):
    result = run(compose(*_overrides(search_folder, "final_fit=false", "data.per_target=false")))
    assert list(result.search["chosen"]) == ["all"]


def test_search_without_a_val_split_or_with_a_wrong_key_is_one_clear_error(search_folder):
    with pytest.raises(StanceError, match="needs data with a val split"):
        run(compose("model=tfidf", "+data.search.tfidf={C: [1, 10]}", "final_fit=false"))
    with pytest.raises(StanceError, match=r"data.search.tfidf.Cee: not a setting of tfidf that can be searched"):
        run(compose(*_overrides(search_folder, "+data.search.tfidf.Cee=[1]")))
    with pytest.raises(StanceError, match=r"candidate \{'C': -1, .*\} is invalid: model.C must be positive"):
        run(compose(*_overrides(search_folder, "data.search.tfidf.C=[-1]")))
    with pytest.raises(StanceError, match="unknown model kind 'tfdif'"):
        run(compose(*_overrides(search_folder, "+data.search.tfdif={C: [1]}")))
    with pytest.raises(StanceError, match="non-empty list"):
        run(compose(*_overrides(search_folder, "data.search.tfidf.C=3")))


def test_the_search_can_be_turned_off(search_folder):
    result = run(compose(*_overrides(search_folder, "final_fit=false", "data.search=null")))
    assert result.search is None
    result = run(compose(*_overrides(search_folder, "final_fit=false", "data.search.tfidf=null")))
    assert result.search is None
