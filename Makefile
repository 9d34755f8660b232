# One command runs the service (`make run`), one runs the tests (`make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: venv run test test-fast lint format package infra clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## The whole service locally: embedded AWS, tables, demo store, worker, chalice local.
run: venv
	$(BIN)/python -m local.run

## The whole test suite (unit, functional, end-to-end against the real local stack).
test: venv
	$(BIN)/python -m pytest -n auto

## Everything but the end-to-end tests.
test-fast: venv
	$(BIN)/python -m pytest -n auto -m "not e2e"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate infra/resources.json from the table models.
infra: venv
	$(BIN)/python -m infra.template

## SAM template + deployment zip in build/ (tables, queues, bucket merged from infra/).
# The SQS consumer's queue name is read from settings when app.py is imported: package with
# the stage's settings so the event source subscribes to that stage's queue.
package: venv
	REWARDS_STAGE=prod $(BIN)/chalice package --stage prod --merge-template infra/resources.json build/

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
