"""Multi-target data: the TweetEval loader, official splits, per-target and ensemble models."""

import json

import numpy as np
import pytest

from conftest import compose, run_cli
from stance.config import EnsembleConfig, TfidfConfig
from stance.errors import StanceError
from stance.models import create_model, load_weights
from stance.training import train as run

LABELS = ["favor", "against", "none"]
TARGETS = {"cats": "Cats", "dogs": "Dogs"}
WORDS = {"favor": "love adore great", "against": "hate awful terrible", "none": "weather today train"}


@pytest.fixture(scope="module")
def tweeteval_folder(tmp_path_factory):
    """A tiny folder in the TweetEval stance layout (0 none, 1 against, 2 favor)."""
    root = tmp_path_factory.mktemp("tweeteval")
    ids = {"none": "0", "against": "1", "favor": "2"}
    rng = np.random.default_rng(0)
    for folder, name in TARGETS.items():
        (root / folder).mkdir()
        for split, n in (("train", 30), ("val", 9), ("test", 12)):
            labels = [LABELS[i % 3] for i in range(n)]
            texts = [
                f"I {' '.join(rng.permutation(WORDS[label].split()))} {name.lower()} #{i} #SemST"
                for i, label in enumerate(labels)
            ]
            (root / folder / f"{split}_text.txt").write_text("\n".join(texts) + "\n")
            (root / folder / f"{split}_labels.txt").write_text("\n".join(ids[x] for x in labels) + "\n")
    return root


def _overrides(root, *extra):
    # target_names has no entry for these folders: the folder names are the target names.
    return ("data=tweeteval", f"data.path={root}", "data.options.targets=[cats,dogs]", "n_bootstrap=50", *extra)


def test_official_splits_protocol(tweeteval_folder):
    result = run(compose(*_overrides(tweeteval_folder, "final_fit=false", "model.char_ngram_max=3")))
    assert result.scores.n == 24  # the test split of both targets, pooled
    assert result.val.n == 18
    assert {g.group for g in result.per_group} == {"cats", "dogs"}
    assert result.protocol_short == "official test split"
    assert result.scores.macro_f1 > 0.9  # the label words are unmistakable


def test_official_splits_honour_train_fraction(tweeteval_folder):
    fixed = ("final_fit=false", "model.char_ngram_max=3", "data.search=null")  # the same settings for both
    full = run(compose(*_overrides(tweeteval_folder, *fixed)))
    small = run(compose(*_overrides(tweeteval_folder, *fixed, "train_fraction=0.1")))
    # 6 of 60 training tweets still find the unmistakable words, but with far less confidence.
    confident = [r.scores.calibration["trade_off"][-1]["coverage"] for r in (small, full)]  # share above 0.9
    assert confident[0] < confident[1]


def test_hashtag_is_stripped_and_targets_given_to_models(tweeteval_folder):
    from stance.data.formats import load_training_data
    from stance.training import to_train_config

    data = load_training_data(to_train_config(compose(*_overrides(tweeteval_folder))).data).evaluated
    assert not any("#SemST" in t for t in data.texts)
    assert set(data.targets) == {"cats", "dogs"}
    assert data.splits.count("train") == 60


def test_per_target_model_saves_loads_and_needs_a_target(tweeteval_folder, tmp_path):
    folder = tmp_path / "per_target"
    run(compose(*_overrides(tweeteval_folder, "model.per_target=true", f"output_dir={folder}")))
    manifest = json.loads((folder / "stance.json").read_text())
    assert manifest["targets"] == ["cats", "dogs"]
    assert (folder / "target-00").is_dir() and (folder / "target-01").is_dir()

    ok = run_cli("classify", str(folder), "--target", "dogs", "--json", "I love adore dogs")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["label"] == "favor"
    missing = run_cli("classify", str(folder), "I love dogs")
    assert missing.returncode == 2 and b"pass --target (one of: cats, dogs)" in missing.stderr
    unknown = run_cli("classify", str(folder), "--target", "Birds", "x")
    assert unknown.returncode == 2 and b"unknown target 'Birds'" in unknown.stderr
    info = run_cli("info", str(folder))
    assert b"targets:      cats, dogs" in info.stdout


def test_evaluate_reads_a_target_column(tweeteval_folder, tmp_path):
    folder = tmp_path / "joint"
    run(compose(*_overrides(tweeteval_folder, f"output_dir={folder}", "model.char_ngram_max=3")))
    data = tmp_path / "eval.csv"
    data.write_text("text,label,target\nI hate awful cats,against,cats\nI love great dogs,favor,dogs\n")
    result = run_cli("evaluate", str(folder), str(data), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] == 1.0


def test_per_target_routes_each_text_to_its_targets_model(tmp_path):
    texts = ["good a", "bad a", "meh a", "good b", "bad b", "meh b"] * 3
    labels = ["favor", "against", "none"] * 6
    targets = ["A"] * 3 + ["B"] * 3
    targets = targets * 3
    # Target B flips the meaning of the words: only a per-target model can get both right.
    labels = [
        x if t == "A" else {"favor": "against", "against": "favor", "none": "none"}[x] for x, t in zip(labels, targets)
    ]
    model = create_model(TfidfConfig(per_target=True, C=100.0), LABELS).fit(texts, labels, targets)
    assert model.predict(["good a", "good b"], ["A", "B"]) == ["favor", "against"]
    model.save(tmp_path)
    loaded = load_weights(tmp_path, TfidfConfig(per_target=True, C=100.0), LABELS)
    np.testing.assert_array_equal(model.predict_proba(texts, targets), loaded.predict_proba(texts, targets))
    with pytest.raises(StanceError, match="unknown target 'C'"):
        loaded.predict_proba(["x"], ["C"])


def test_ensemble_averages_its_members(tmp_path):
    texts = [f"{w} {i}" for i in range(6) for w in ("love it", "hate it", "the weather")]
    labels = ["favor", "against", "none"] * 6
    config = EnsembleConfig(members=["tfidf", "tfidf"], weights=[1.0, 3.0])
    model = create_model(config, LABELS).fit(texts, labels)
    member = model.members[0].predict_proba(texts)
    np.testing.assert_allclose(model.predict_proba(texts), member)  # identical members: same average
    assert model.weights.tolist() == [0.25, 0.75]
    model.save(tmp_path)
    loaded = load_weights(tmp_path, config, LABELS)
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_a_csv_with_only_text_label_and_group_columns_trains(tmp_path):
    data = tmp_path / "custom.csv"
    rows = ["text,label,source"] + [
        f"{lab} words {i},{lab},  s{i % 3} " for i, lab in enumerate(["supportive", "skeptical", "neutral"] * 8)
    ]
    data.write_text("\n".join(rows) + "\n")
    result = run(
        compose(
            f"data.path={data}",
            "data.group_column=source",
            "final_fit=false",
            "data.train_only=[]",
            "n_bootstrap=20",
            "model.char_ngram_max=3",
        )
    )
    assert sorted(g.group for g in result.per_group) == ["s0", "s1", "s2"]  # cells stripped


def test_cross_validation_sees_per_row_targets(tmp_path):
    """Labels that depend on the target: a per-target model gets them right in CV, as in the final
    fit (CV used to drop the targets and train one target-blind model, scoring near chance)."""
    rows = ["text,label,target,article"]
    for i in range(60):
        word = ["good", "bad", "so-so"][i % 3]
        target = ["A", "B"][(i // 3) % 2]
        label = {"good": "favor", "bad": "against", "so-so": "none"}[word]
        if target == "B":
            label = {"favor": "against", "against": "favor", "none": "none"}[label]
        rows.append(f"{word} thing {i},{label},{target},g{i % 4}")
    data = tmp_path / "two_targets.csv"
    data.write_text("\n".join(rows) + "\n")
    result = run(
        compose(
            f"data.path={data}",
            "data.labels=[favor,against,none]",
            "data.stance_labels=[favor,against]",
            "data.train_only=[]",
            "model.per_target=true",
            "model.C=100",
            "final_fit=false",
            "n_bootstrap=20",
        )
    )
    assert result.scores.macro_f1 > 0.9


def test_tweeteval_trains_per_target_and_refits_the_saved_model_on_train_and_val(tweeteval_folder, tmp_path):
    from stance.data.formats import load_training_data
    from stance.model_folder import count_training_texts
    from stance.training import to_train_config

    folder = tmp_path / "refit"
    config = to_train_config(compose(*_overrides(tweeteval_folder, f"output_dir={folder}")))
    assert config.model.per_target  # data=tweeteval asks for one model per target
    run(config)
    corpus = load_training_data(config.data).evaluated
    split = {s: [t for t, x in zip(corpus.texts, corpus.splits) if x == s] for s in ("train", "val", "test")}
    assert count_training_texts(folder, split["train"] + split["val"]) == 78
    unseen = [t for t in split["test"] if t not in set(split["train"] + split["val"])]
    assert unseen and count_training_texts(folder, unseen) == 0  # test never reaches the saved model
    assert json.loads((folder / "stance.json").read_text())["config"]["model"]["per_target"] is True
