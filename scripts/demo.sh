#!/usr/bin/env bash
# One command: set everything up and run `pulso demo` on the embedded default (SQLite + DuckDB, no server).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
exec uv run pulso demo "$@"
