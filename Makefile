# Two commands a newcomer needs (see README):
#   make demo   installs everything and runs the main job on the embedded default
#   make test   installs everything and runs every test
SHELL := /bin/bash
# Python 3.11 exactly (requires-python in pyproject): another python3 would build a venv that
# cannot install the lock, minutes later, with an error far from the cause.
PYTHON ?= $(shell command -v python3.11)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || test -n "$(PYTHON)" || { echo "make: python3.11 not found: install Python 3.11 (pyenv install 3.11, or your OS packages) or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/gauntlet demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/actionlint .github/workflows/*.yml

# --dist loadfile: a test file runs on one worker, so its module-scoped fixtures (an MLflow
# server, a dask cluster, gathered evidence) are built once. No test needs another file's worker:
# each gets its own PostgreSQL schema, Redis prefix, NATS stream and Vault path.
test: install lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

# make bench [BENCH="sweep event"]: every benchmark, or the named ones
bench: install
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
