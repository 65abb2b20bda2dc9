#!/usr/bin/env bash
# Roll an environment back to the previous good release, or to RELEASE: a thin wrapper over
# `infra rollback` (one ECS service update, no Terraform; docs/cd.md).
#   scripts/rollback.sh ENV [RELEASE] [--yes] [--target local|aws] [--json]
# Exit codes are infra's: 0 rolled back, 1 refused or failed, 2 bad input.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") ENV [RELEASE] [--yes] [--target local|aws] [--json]" >&2
  exit 2
}

[[ $# -ge 1 && -n "$1" && "$1" != -* ]] || usage
args=(rollback --env "$1")
shift
if [[ $# -ge 1 && "$1" != -* ]]; then
  [[ -n "$1" ]] || usage
  args+=(--to "$1")
  shift
fi
exec "${INFRA:-infra}" "${args[@]}" "$@"
