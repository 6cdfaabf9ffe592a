# One-command set-up: `make train`, `make test` and `make lint` create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: setup train train-tfidf test lint format clean

# torch first, pinned: its CPU build lies on disk here, while an unpinned torch pulls a
# multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# Every kind on the seed articles + the authored set, then reports/comparison.{md,png,json}.
train: setup
	$(PY) scripts/train.py -m model=tfidf,setfit,ensemble,transformer overwrite=true \
		'output_dir=models/$${model.name}' hydra.callbacks.comparison.report_dir=reports

train-tfidf: setup
	$(PY) scripts/train.py overwrite=true

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf models/tfidf models/transformer models/setfit models/ensemble reports multirun
