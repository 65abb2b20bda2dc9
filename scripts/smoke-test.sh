#!/usr/bin/env bash
# Smoke-test an environment (health, /version, latency budget, cd/smoke.toml's checks): a thin
# wrapper over `infra smoke` (docs/cd.md).
#   scripts/smoke-test.sh ENV [--url URL] [--version V] [--target local|aws] [--json]
# Exit codes are infra's: 0 every check passed, 1 a check failed, 2 bad input.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") ENV [--url URL] [--version V] [--target local|aws] [--json]" >&2
  exit 2
}

[[ $# -ge 1 && -n "$1" && "$1" != -* ]] || usage
env_name=$1
shift
exec "${INFRA:-infra}" smoke --env "$env_name" "$@"
