# One command for each check. `make run` and `make test` set everything up themselves.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=8600 HOST=0.0.0.0`: where the dashboard listens.
PORT ?= 8501
HOST ?= localhost

.PHONY: run test lint bench services browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the dashboard on the embedded SQLite default (demo data when the database is empty);
## PORT=8600 and HOST=0.0.0.0 pick where it listens
run: $(STAMP)
	$(BIN)/tooltrack dashboard --port $(PORT) --host $(HOST)

## test: lint (ruff, mypy), then the whole suite, on SQLite and on a real PostgreSQL, browser tests included
test: $(STAMP) services browser lint
	$(BIN)/python -m pytest

## services: start the local PostgreSQL when it is down
services:
	bash scripts/ensure-postgres.sh

## browser: Debian's chromium for the browser tests
browser:
	bash scripts/ensure-chromium.sh

## lint: ruff (rules and format) over the repository, mypy over the package
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tooltrack

bench: $(STAMP) services
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache test-output
