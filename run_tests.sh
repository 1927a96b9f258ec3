#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the package (building the Cython extensions) with its
# test extras, then runs the linters and pytest. Oracle/interop tests need Debian's redis-server and
# redis-tools (apt-get install -y redis-server redis-tools); without them those tests skip with a reason.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Byte-compile the package: the suite starts hundreds of server processes, and with PYTHONDONTWRITEBYTECODE set
# (or a read-only tree) each would otherwise compile every module again (~0.3 s of CPU per start).
python3 -m compileall -q pyredcache
python3 -m ruff check pyredcache tests bench docs
python3 -m mypy pyredcache
python3 -m pytest -q --durations=25 "$@"
