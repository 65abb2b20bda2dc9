#!/usr/bin/env bash
# The integration suite CD runs against staging before production may take an image (cd.yml).
#   scripts/integration-test.sh ENV [--target local|aws]
# With a tests/e2e suite: `pytest tests/e2e -m ENV` (INFRA_ENV and INFRA_TARGET tell it where);
# without one, the smoke checks are the suite. Exit 0 passed, 1 failed, 2 bad input.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") ENV [--target local|aws]" >&2
  exit 2
}

[[ $# -ge 1 && -n "$1" && "$1" != -* ]] || usage
env_name=$1
shift
target=local
case "$*" in
  "") ;;
  "--target local" | "--target aws") target=$2 ;;
  *) usage ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
if compgen -G "${root}/tests/e2e/test_*.py" >/dev/null; then
  export INFRA_ENV=$env_name INFRA_TARGET=$target
  exec "${PYTHON:-python}" -m pytest "${root}/tests/e2e" -m "$env_name" -q
fi
echo "no tests/e2e suite: running the smoke checks as the integration suite"
exec "${root}/scripts/smoke-test.sh" "$env_name" --target "$target"
