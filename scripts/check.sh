#!/usr/bin/env bash
# Every check, in order: ruff, mypy (strict, on embedsdk/ and every plugin package), lint-imports, pytest.
# Run after scripts/bootstrap.sh; extra arguments go to pytest. Stops at the first check that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
bin=.venv/bin

echo "== ruff" >&2
"$bin/ruff" check .
echo "== mypy" >&2
packages=(embedsdk)
for package in plugins/*/embedsdk_*/; do
  [ -f "$package/__init__.py" ] && packages+=("${package%/}")  # not the .egg-info folders pip leaves
done
"$bin/mypy" --strict "${packages[@]}"
echo "== lint-imports" >&2
"$bin/lint-imports"
echo "== pytest" >&2
"$bin/python" -m pytest "$@"
