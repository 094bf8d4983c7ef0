#!/usr/bin/env bash
# The tests: sets up the environment if needed, then runs pytest.
# With no arguments runs the fast suite and the slow (end-to-end) suite;
# pass pytest arguments to narrow it, e.g. `scripts/test.sh -m "not slow"`.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo_root/scripts/bootstrap.sh"
export TF_USE_LEGACY_KERAS=1
cd "$repo_root"
exec "${MOVIELENS_TFX_VENV:-$repo_root/.venv}/bin/python" -m pytest "$@"
