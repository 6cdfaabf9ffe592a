import numpy as np
import pytest

from conftest import SEEDS
from stance.config import TfidfConfig
from stance.data.labeled import load_labeled
from stance.errors import StanceError
from stance.models import create_model, load_weights
from stance.models.calibrated import apply_calibrator, fit_calibrator

LABELS = ["supportive", "skeptical", "neutral"]


def test_temperature_scaling_softens_an_overconfident_model():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, 3000)
    # Right 60% of the time but always 95% sure.
    predicted = np.where(rng.random(3000) < 0.6, codes, (codes + 1) % 3)
    probabilities = np.full((3000, 3), 0.025)
    probabilities[np.arange(3000), predicted] = 0.95
    params = fit_calibrator("temperature", probabilities, codes)
    assert params["temperature"] > 1
    calibrated = apply_calibrator(params, probabilities)
    assert calibrated.max(axis=1).mean() == pytest.approx(0.6, abs=0.03)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1)
    for method in ("sigmoid", "isotonic"):
        other = apply_calibrator(fit_calibrator(method, probabilities, codes), probabilities)
        np.testing.assert_allclose(other.sum(axis=1), 1)
        assert other.max(axis=1).mean() == pytest.approx(0.6, abs=0.05)


@pytest.mark.parametrize("method", ["temperature", "sigmoid", "isotonic"])
def test_calibrated_model_round_trip(method, tmp_path):
    data = load_labeled(SEEDS, LABELS)
    config = TfidfConfig(calibration=method, char_ngram_max=3)
    model = create_model(config, LABELS).fit(data.texts[:150], data.labels[:150])
    probabilities = model.predict_proba(data.texts[150:])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
    model.save(tmp_path)
    assert (tmp_path / "calibration.json").is_file() and (tmp_path / "uncalibrated").is_dir()
    loaded = load_weights(tmp_path, config, LABELS)
    np.testing.assert_array_equal(loaded.predict_proba(data.texts[150:]), probabilities)


def test_unknown_calibration_is_a_config_error():
    with pytest.raises(StanceError, match=r"model\.calibration must be"):
        TfidfConfig(calibration="platt").check()
