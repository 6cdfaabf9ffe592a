import json

import numpy as np
import pytest
from hydra.errors import ConfigCompositionException

from conftest import SEEDS, compose
from stance.errors import StanceError
from stance.model_folder import CONFUSION_PNG, ERRORS_CSV, MANIFEST, METRICS, REPORT
from stance.models import load_model
from stance.training import train as run


def test_training_writes_a_self_describing_folder(tfidf_model):
    names = {p.name for p in tfidf_model.iterdir()}
    assert {MANIFEST, METRICS, REPORT, CONFUSION_PNG, ERRORS_CSV} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib"))]
    manifest = json.loads((tfidf_model / MANIFEST).read_text())
    assert manifest["kind"] == "tfidf"
    assert manifest["labels"] == ["supportive", "skeptical", "neutral"]
    assert manifest["target"] == "china-mediator"
    assert manifest["data_fingerprint"].startswith("sha256:")
    assert manifest["config"]["model"]["C"] == 10.0
    assert "scikit-learn" in manifest["versions"]
    metrics = json.loads((tfidf_model / METRICS).read_text())
    scores = metrics["scores"]
    assert scores["n"] == 279
    assert len(metrics["per_group"]) == 5
    assert scores["macro_f1"] > metrics["baseline"]["macro_f1"]
    low, high = scores["intervals"]["macro_f1"]
    assert low < scores["macro_f1"] < high
    report = (tfidf_model / REPORT).read_text()
    assert "majority baseline" in report and "95% CI" in report


def test_save_load_predict_gives_identical_probabilities(tfidf_model):
    from stance.config import TfidfConfig
    from stance.data.labeled import load_labeled
    from stance.models import create_model

    data = load_labeled(SEEDS, ["supportive", "skeptical", "neutral"])
    fresh = create_model(TfidfConfig(), ["supportive", "skeptical", "neutral"], seed=0).fit(data.texts, data.labels)
    loaded, _ = load_model(tfidf_model)
    np.testing.assert_array_equal(fresh.predict_proba(data.texts), loaded.predict_proba(data.texts))


def test_same_seed_same_metrics(tmp_path):
    overrides = ("final_fit=false", "n_bootstrap=100", "model.char_ngram_max=3", "data.train_only_fraction=0.2")
    first = run(compose(*overrides))
    second = run(compose(*overrides))
    assert first.scores.macro_f1 == second.scores.macro_f1
    assert first.scores.intervals == second.scores.intervals


@pytest.mark.parametrize("override", ["model.Cc=1", "sede=1", "model=nope", "data.labelz=[a,b]"])
def test_config_typo_fails_loudly(override):
    with pytest.raises(ConfigCompositionException):
        compose(override)


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.C=-1", "model.C must be positive"),
        ("+model.Cc=1", "unknown config key model.Cc"),
        ("n_bootstrap=1", "n_bootstrap must be at least 2"),
    ],
)
def test_impossible_values_fail_before_any_work(override, message):
    with pytest.raises(StanceError, match=message):
        run(compose(override, "final_fit=false"))


def test_existing_model_is_not_overwritten_silently(tfidf_model):
    before = (tfidf_model / MANIFEST).read_text()
    with pytest.raises(StanceError, match="overwrite=true"):
        run(compose(f"output_dir={tfidf_model}"))
    assert (tfidf_model / MANIFEST).read_text() == before


def test_overwrite_only_replaces_model_folders(tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(StanceError, match="not a model folder"):
        run(compose(f"output_dir={precious}", "overwrite=true"))
    assert (precious / "chapter1.tex").read_text() == "years of work"


def test_a_new_data_config_plugs_in_other_labels(tmp_path):
    data = tmp_path / "other.csv"
    rows = ["id,text,label,target,article"]
    for i in range(30):
        label = ["favor", "against", "none"][i % 3]
        rows.append(f"{i},{label} sentence number {i},{label},t,g{i % 3}")
    data.write_text("\n".join(rows) + "\n")
    result = run(
        compose(
            f"data.path={data}",
            "data.labels=[favor,against,none]",
            "data.stance_labels=[favor,against]",
            "data.train_only=[]",
            "final_fit=false",
            "n_bootstrap=50",
        )
    )
    assert result.scores.labels == ["favor", "against", "none"]
    assert result.scores.n == 30
