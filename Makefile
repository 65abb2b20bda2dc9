# Two commands on a fresh machine: `make demo` and `make test`. Each target installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck tf-fmt pytest bench clean help tools dashboards

help:
	@echo "make demo   - create .venv, bring the dev environment up on the embedded AWS and list it"
	@echo "make test   - ruff, mypy, terraform fmt/validate/test, pytest (unit, property, integration)"
	@echo "make bench  - benchmarks (ratios against baselines), written to docs/benchmarks.md"
	@echo "make clean  - stop the emulator and remove .infra/ and .venv/"

$(STAMP): pyproject.toml
	@command -v terraform >/dev/null || { echo "error: terraform >= 1.11 is not on PATH" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/infra up --env dev
	$(BIN)/infra status --env dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

tf-fmt:
	terraform fmt -check -recursive terraform

# terraform validate (every module and root) and terraform test (every module) run inside pytest
# (tests/terraform/), so that a failure is a named, counted test.
pytest: $(STAMP) tools
	$(BIN)/python -m pytest

# promtool, prometheus, amtool and alertmanager for tests/monitoring/, and the PostgreSQL server
# binaries for the backup and rotation tests (Debian/Ubuntu packages), when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
tools:
	@command -v promtool >/dev/null && command -v amtool >/dev/null \
	  && command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus prometheus-alertmanager; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }

# Regenerate monitoring/grafana/dashboards/*.json from monitoring/grafana/generate.py.
dashboards: $(STAMP)
	$(BIN)/python monitoring/grafana/generate.py

test: lint typecheck tf-fmt pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	-test -x $(BIN)/infra && $(BIN)/infra emulator stop
	rm -rf .infra $(VENV)
