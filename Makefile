# One command runs the service (`make run`), one runs the tests (`make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Bytecode is compiled when a module is first imported, not for every file of every package.
PIP_FLAGS := --quiet --disable-pip-version-check --no-compile
# Two levels, each stamped with the checksum of its requirement files: the local stack
# (`make run`: the runtime, chalice, boto3, moto) and the dev tools on top (tests, lint, package).
LOCAL_STAMP := $(VENV)/.installed-local-$(shell cat requirements.txt requirements-local.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-local.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# `make run` in a venv that has the dev tools installs nothing: they include the local stack.
RUN_STAMP := $(if $(wildcard $(DEV_STAMP)),$(DEV_STAMP),$(LOCAL_STAMP))
# When the base interpreter has a pip that can install into another environment (`pip --python`,
# pip 22.3+), a new venv is made without a pip of its own (ensurepip costs seconds); else the
# venv's pip is used. Asked once, and only when installing.
BASE_PIP = $(eval BASE_PIP := $(shell $(PYTHON) -c "import pip, sys; sys.exit(tuple(map(int, pip.__version__.split('.')[:2])) < (22, 3))" 2>/dev/null && echo yes))$(BASE_PIP)
PIP = $(if $(BASE_PIP),$(PYTHON) -m pip --python $(BIN)/python,$(BIN)/python -m pip)

.PHONY: venv run test test-fast bench lint format package package-check package-terraform infra routes docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(if $(BASE_PIP),--without-pip) $(VENV)

$(LOCAL_STAMP): requirements.txt requirements-local.txt | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) -r requirements-local.txt
	rm -f $(VENV)/.installed-local-*
	touch $@

$(DEV_STAMP): requirements.txt requirements-local.txt requirements-dev.txt | $(BIN)/python
	# Chalice 1.34 packages with the venv's pip and supports pip < 26.3 only; a venv made by
	# `make run` may have none. Nothing is fetched when the one there fits.
	$(PIP) install $(PIP_FLAGS) "pip<26.3"
	$(PIP) install $(PIP_FLAGS) -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(LOCAL_STAMP) $@

## The runtime, the local stack and the test, lint and packaging tools.
venv: $(DEV_STAMP)

## The whole service locally: embedded AWS, tables, demo store, worker, chalice local. Installs
## only what that needs (requirements-local.txt), not the test and lint tools.
run: $(RUN_STAMP)
	$(BIN)/python -m local.run

## The whole test suite (unit, functional, end-to-end against the real local stack).
test: venv
	$(BIN)/python -m pytest -n auto

## Everything but the end-to-end tests.
test-fast: venv
	$(BIN)/python -m pytest -n auto -m "not e2e"

## The performance benchmark against the local AWS: one table, bench/results.json, and the
## chart of each figure against its target in docs/assets/bench.svg (the Performance page).
## SECTIONS="install restart" measures only those (`python -m bench --help` lists them).
bench: venv
	$(BIN)/python -m bench $(SECTIONS)

## The documentation site (docs/, mkdocs-material) into site/, strict: a broken link fails.
## Its API reference is the OpenAPI document the service serves, written to docs/reference/.
docs: venv
	$(BIN)/python -m doctools.openapi
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## The same site served while you edit it, on http://127.0.0.1:8001.
docs-serve: venv
	$(BIN)/python -m doctools.openapi
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

## Ruff, then the import contracts (pyproject.toml): layers pointing down, faces independent.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate infra/resources.json from the table models.
infra: venv
	$(BIN)/python -m infra.template

## Regenerate chalicelib/api/routes.json, the route table app.py registers, from the faces.
routes: venv
	$(BIN)/python -m chalicelib.api.faces

## SAM template + deployment zip in build/ (tables, queues, bucket merged from infra/); drops
## the files no function loads, adds the bytecode Lambda cannot write, prints the package size
## and fails if a test or dev dependency got into it or the app does not load from it alone.
# The SQS consumer's queue name is read from settings when app.py is imported: package with
# the stage's settings so the event source subscribes to that stage's queue. Chalice wants a
# region even to package; the template itself names none.
STAGE ?= prod
PACKAGE_ENV := REWARDS_STAGE=$(STAGE) AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1}

package: venv
	rm -rf build
	$(PACKAGE_ENV) $(BIN)/chalice package --stage $(STAGE) --merge-template infra/resources.json build/
	$(BIN)/python -m infra.package_slim build/deployment.zip
	$(BIN)/python -m infra.package_bytecode build/deployment.zip
	$(BIN)/python -m infra.package_check build/deployment.zip

## `package`, then cfn-lint on the packaged template (run by CI).
package-check: package
	$(BIN)/cfn-lint build/sam.json

## The same for Terraform in build/terraform/: chalice.tf.json plus infra/'s *.tf.json beside it.
package-terraform: venv
	rm -rf build/terraform
	$(PACKAGE_ENV) $(BIN)/chalice package --stage $(STAGE) --pkg-format terraform build/terraform/
	cp infra/resources.tf.json infra/chalice_override.tf.json build/terraform/
	$(BIN)/python -m infra.package_slim build/terraform/deployment.zip
	$(BIN)/python -m infra.package_bytecode build/terraform/deployment.zip
	$(BIN)/python -m infra.package_check build/terraform/deployment.zip

clean:
	rm -rf $(VENV) build site .pytest_cache .ruff_cache
