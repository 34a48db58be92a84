#!/usr/bin/env bash
# Create (or update) ./.venv with embedsdk, every plugin under plugins/ and the test tools, from local packages.
#
# torch and torchvision are pinned by constraints.txt (builds that lie on this machine's disk); the
# libraries themselves only ask for ranges. Each plugin is installed with its [test] extra (the reference
# implementations its parity tests compare against). Safe to run again: pip skips what is already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  # torch 2.14.1 is available for CPython 3.11 here; prefer it when it exists.
  if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
packages=(-e ".[test]")
for plugin in plugins/*/; do
  [ -f "$plugin/pyproject.toml" ] && packages+=(-e "${plugin%/}[test]")
done
.venv/bin/python -m pip install -qq --disable-pip-version-check -c constraints.txt "${packages[@]}"
echo "bootstrap: .venv ready ($(.venv/bin/python -c 'import embedsdk, torch; print("embedsdk", embedsdk.__version__, "torch", torch.__version__)'))" >&2
