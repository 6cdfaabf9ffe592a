"""Every config composes; YAML files and schemas agree; config errors are one line with a hint."""

import dataclasses
from pathlib import Path

import pytest

from conftest import ROOT, compose
from stance.composition import preflight
from stance.config import MODEL_CONFIGS, DataConfig
from stance.training import to_train_config

MODELS = sorted(p.stem for p in (ROOT / "configs" / "model").glob("*.yaml"))
DATA = sorted(p.stem for p in (ROOT / "configs" / "data").glob("*.yaml"))


@pytest.mark.parametrize("model", MODELS)
def test_every_model_config_composes_to_its_schema_defaults(model):
    """One source of defaults: the YAML files name the schema and override nothing."""
    config = to_train_config(compose(f"model={model}"))
    assert config.model == MODEL_CONFIGS[model]()


@pytest.mark.parametrize("data", DATA)
def test_every_data_config_composes(data):
    config = to_train_config(compose(f"data={data}"))
    assert isinstance(config.data, DataConfig) and config.data.name == data


def test_the_seed_data_config_trains_on_the_authored_set_and_scores_the_seeds():
    config = to_train_config(compose())
    assert config.data.path == "seeds/sentences.csv" and config.data.train_only == ["data/authored.csv"]


def test_every_registered_model_has_a_config_file():
    assert set(MODEL_CONFIGS) == set(MODELS)


def run_preflight(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        preflight(list(argv))
        raise SystemExit(0)
    return exit_.value.code, capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["model.C=1,10"], "add -m"),
        (["modle=setfit"], "did you mean model?"),
        (
            ["model=setfti"],
            "unknown model 'setfti' (known: tfidf, transformer, setfit, ensemble); did you mean setfit",
        ),
        (["seed=abc"], "seed"),
        (["model.C=-1"], "model.C must be positive"),
        (["-m", "model=tfidf,setfit", "model.C=-1"], "model.C must be positive"),
        (["data=seedz"], "did you mean seeds?"),
    ],
)
def test_config_errors_are_one_line_with_a_hint_and_exit_2(capsys, argv, message):
    code, err = run_preflight(capsys, *argv)
    assert code == 2 and message in err and len(err.splitlines()) == 1, err


def test_a_sweep_into_an_existing_folder_fails_before_hydra_makes_any(capsys, tmp_path):
    (tmp_path / "tfidf").mkdir()
    (tmp_path / "tfidf" / "stance.json").write_text("{}")
    code, err = run_preflight(capsys, "-m", "model=tfidf,setfit", f"output_dir={tmp_path}/${{model.name}}")
    assert code == 2 and "already exists; pass overwrite=true" in err


@pytest.mark.parametrize("argv", [["-m", "seed=range(0,3)"], ["-m", "model=tfidf,setfit"], ["model.C=3"], ["--help"]])
def test_hydra_sweep_syntax_is_accepted(capsys, argv):
    assert run_preflight(capsys, *argv)[0] == 0


def test_schema_fields_all_have_help_text():
    from stance.config import TrainConfig

    for schema in [TrainConfig, DataConfig, *MODEL_CONFIGS.values()]:
        for field in dataclasses.fields(schema):
            if field.name not in ("data", "model"):
                assert field.metadata.get("help"), f"{schema.__name__}.{field.name} has no help text"


def test_configs_folder_is_where_compose_looks():
    from stance.composition import CONFIG_DIR

    assert Path(CONFIG_DIR) == ROOT / "configs"


def test_help_lists_the_real_choices_and_every_key_with_its_help():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "scripts/train.py", "--help"], capture_output=True, cwd=ROOT, text=True)
    assert result.returncode == 0
    assert "model=           ensemble, setfit, tfidf, transformer" in result.stdout
    assert "_schema" not in result.stdout and "hydra/launcher=" in result.stdout
    assert "data.train_only=[]" in result.stdout and "model.C=10.0" in result.stdout
