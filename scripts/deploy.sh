#!/usr/bin/env bash
# Deploy an image to an environment: a thin wrapper over `infra deploy` (docs/cd.md).
#   scripts/deploy.sh ENV IMAGE [--yes] [--target local|aws] [--json]
# Exit codes are infra's: 0 deployed, 1 refused or failed (rolled back), 2 bad input.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") ENV IMAGE [--yes] [--target local|aws] [--json]" >&2
  exit 2
}

[[ $# -ge 2 && -n "$1" && "$1" != -* && -n "$2" && "$2" != -* ]] || usage
env_name=$1
image=$2
shift 2
exec "${INFRA:-infra}" deploy --env "$env_name" --image "$image" "$@"
