#!/usr/bin/env bash
# One command: set everything up and run the whole test suite (lint, types, tests on SQLite and PostgreSQL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
bash scripts/services.sh
# The browser tests drive Debian's Chromium (never Playwright's downloaded browsers).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt_get=(apt-get)
  if [ "$(id -u)" -ne 0 ]; then apt_get=(sudo -n apt-get); fi
  { "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq chromium; } \
    >/dev/null 2>&1 || echo "note: could not install chromium; the browser tests will say so" >&2
fi
uv run ruff check .
uv run ruff format --check .
uv run mypy
uv run lint-imports
uv run pytest -n 2 "$@"
