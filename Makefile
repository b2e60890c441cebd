# The entry point for people. `make help` lists the targets.
PYTHON  ?= python3
VENV    ?= .venv
# An edition = publication x force x quarter; empty means the publication's own default.
PUBLICATION ?=
FORCE       ?=
QUARTER     ?=
JOBS        ?=
# REVIEWER=1: the reviewer's edition (code toggles and notebook downloads on the website).
REVIEWER    ?=
BIN          = $(VENV)/bin
EDITION      = $(if $(PUBLICATION),--publication $(PUBLICATION),) $(if $(FORCE),--force "$(FORCE)",) \
               $(if $(QUARTER),--quarter $(QUARTER),)
JOBS_ARG     = $(if $(JOBS),--jobs $(JOBS),)
REVIEWER_ARG = $(if $(REVIEWER),--reviewer,)

.DEFAULT_GOAL := help
.PHONY: help setup system book html national sweep preview list validate backtest bench test test-fast toc clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  Options: PUBLICATION=crime-prevention-2018-21 FORCE=Kent QUARTER=2023-24-Q2 JOBS=N REVIEWER=1"
	@echo "  (defaults: crime-prevention-2021-25, and that publication's force and quarter; \`$(BIN)/strategy-update list\`)"

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

system: ## install the Debian packages for the chart images, the PDF's fonts and the spreadsheet checks (chromium, fonts-freefont-otf, poppler, LibreOffice Calc)
	@scripts/install-system-packages.sh

setup: $(VENV)/.installed node_modules/.installed system ## create .venv with pinned packages, npm packages (axe-core) and system packages

book: setup ## build one edition, website and PDF, into _build/<publication>/<force>/<quarter>/
	$(BIN)/strategy-update build $(EDITION) $(JOBS_ARG) $(REVIEWER_ARG)

html: setup ## build the website only (no PDF)
	$(BIN)/strategy-update build $(EDITION) --no-pdf $(JOBS_ARG) $(REVIEWER_ARG)

# The national edition: one edition per force (FORCES=all, or names separated by commas) and a national index.
NATIONAL_PUBLICATION ?= police-and-crime-plan
FORCES       ?= all
PDF          ?= 1
SCHEDULER    ?=
national: setup ## every force's edition (FORCES=all; PDF=0 for websites only; SCHEDULER=tcp://host:8786) and a national index
	$(BIN)/strategy-update build-all --publication $(NATIONAL_PUBLICATION) --forces "$(FORCES)" \
		$(if $(QUARTER),--quarter $(QUARTER),) $(if $(filter 0,$(PDF)),--no-pdf,) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER),) $(REVIEWER_ARG)

# The sweep: every publication's first, default and last quarter, for its owner and three other forces: the City of
# London (a name with a comma, and the smallest population), Cumbria (the smallest population after it) and Greater
# Manchester (a declared change in how it recorded crime). SWEEP_QUARTERS=all builds every quarter.
SWEEP_PUBLICATIONS ?= all
SWEEP_QUARTERS     ?= first,default,last
SWEEP_FORCES       ?= owner,smallest,London, City of,Cumbria,Greater Manchester
SWEEP_PDF          ?= 0
sweep: setup ## build a matrix of editions (publications x quarters x forces; websites) and report what built and what failed (_build/sweep/)
	$(BIN)/strategy-update sweep --publication "$(SWEEP_PUBLICATIONS)" --quarters "$(SWEEP_QUARTERS)" \
		--forces "$(SWEEP_FORCES)" $(if $(filter 1,$(SWEEP_PDF)),--pdf,) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

preview: setup ## serve the edition's website on http://127.0.0.1:8000/ and rebuild it when an input is saved
	$(BIN)/strategy-update preview $(EDITION) $(JOBS_ARG)

list: setup ## list the publications and forces this project knows
	$(BIN)/strategy-update list

validate: setup ## check every input of the edition and print the report (exit 2 on a critical problem)
	$(BIN)/strategy-update validate $(EDITION)

backtest: setup ## recompute the figures printed in the publication's last hand-made reports
	$(BIN)/strategy-update backtest $(EDITION)

bench: setup ## time cold and incremental builds against the Jupyter Book baseline (about 20 minutes)
	$(BIN)/python benchmarks/run_benchmarks.py

test: setup ## run the whole test suite (unit, notebooks, end-to-end builds)
	$(BIN)/ruff check src tests benchmarks  # lint: the rules are pyproject.toml's [tool.ruff]
	$(BIN)/python -m pytest tests -n 2 --durations=30  # build tests in two groups: tests/conftest.py
	$(BIN)/python -m pytest --nbval-lax notebooks  # a notebook's cells share one kernel: not split across workers

test-fast: setup ## unit tests only (no builds)
	$(BIN)/python -m pytest tests -m "not build"

toc: setup ## regenerate _toc.yml (the default edition's contents) from its publication definition
	$(BIN)/strategy-update toc

clean: ## remove built editions and caches (not the virtual environment)
	rm -rf _build notebooks/downloads .pytest_cache
