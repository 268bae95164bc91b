#!/usr/bin/env bash
# One command: set everything up and run the whole test suite (lint, types, tests on SQLite and PostgreSQL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
bash scripts/services.sh
uv run ruff check .
uv run ruff format --check .
uv run mypy
uv run lint-imports
uv run pytest -n 2 "$@"
