# Gatehouse: `make run` (local stack), `make test` (everything CI runs), `make bench`,
# `make package STAGE=dev` (the checked Lambda artifact), `make deploy STAGE=dev` (to AWS).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
EMULATOR_PORT ?= 4566
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

STAGE ?= dev

# Local targets talk only to the emulator: fixed fake credentials, no metadata probing.
# package and deploy read credentials and region as the AWS CLI does (profile included).
run test bench: export AWS_ACCESS_KEY_ID := testing
run test bench: export AWS_SECRET_ACCESS_KEY := testing
run test bench: export AWS_DEFAULT_REGION := us-east-1
run test bench: export AWS_EC2_METADATA_DISABLED := true

.PHONY: install browser run test lint format bench package deploy clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip<26.3"  # chalice packages with pip and pins it
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Debian's Chromium: Playwright's own browser download is not reachable here.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

run: install
	PORT=$(PORT) EMULATOR_PORT=$(EMULATOR_PORT) $(PY) -m chalicelib.emulator

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install browser lint
	$(PY) -m pytest

bench: install
	$(PY) -m bench

package: install
	$(PY) -m infra.package --stage $(STAGE) $(if $(PACKAGE_DIR),--out $(PACKAGE_DIR))

deploy: install
	$(PY) -m infra.deploy --stage $(STAGE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts dist
