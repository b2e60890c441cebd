# The entry point for people. `make help` lists the targets.
PYTHON  ?= python3
VENV    ?= .venv
QUARTER ?= 2021-22-Q4
JOBS    ?=
BIN      = $(VENV)/bin
JOBS_ARG = $(if $(JOBS),--jobs $(JOBS),)

.DEFAULT_GOAL := help
.PHONY: help setup system book html validate backtest bench test test-fast toc clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  Options: QUARTER=2023-24-Q2 (default $(QUARTER)), JOBS=N"

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

system: ## install the Debian packages for the PDF and chart images (TeX Live, chromium, poppler)
	@scripts/install-system-packages.sh

setup: $(VENV)/.installed node_modules/.installed system ## create .venv with pinned packages, npm packages (axe-core) and system packages

book: setup ## build one edition, website and PDF, into _build/<QUARTER>/
	$(BIN)/strategy-update build --quarter $(QUARTER) $(JOBS_ARG)

html: setup ## build the website only (no PDF)
	$(BIN)/strategy-update build --quarter $(QUARTER) --no-pdf $(JOBS_ARG)

validate: setup ## check every input for QUARTER and print the report (exit 2 on a critical problem)
	$(BIN)/strategy-update validate --quarter $(QUARTER)

backtest: setup ## recompute the figures printed in the last hand-made reports
	$(BIN)/strategy-update backtest

bench: setup ## time cold and incremental builds against the Jupyter Book baseline (about 20 minutes)
	$(BIN)/python benchmarks/run_benchmarks.py

test: setup ## run the whole test suite (unit, notebooks, end-to-end builds)
	$(BIN)/python -m pytest tests --nbval-lax notebooks

test-fast: setup ## unit tests only (no builds)
	$(BIN)/python -m pytest tests -m "not build"

toc: setup ## regenerate _toc.yml from the strategy definition
	$(BIN)/strategy-update toc

clean: ## remove built editions and caches (not the virtual environment)
	rm -rf _build notebooks/downloads .pytest_cache
