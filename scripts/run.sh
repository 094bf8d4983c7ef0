#!/usr/bin/env bash
# The main job: sets up the environment if needed, then runs the pipeline CLI.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo_root/scripts/bootstrap.sh"
export TF_USE_LEGACY_KERAS=1
exec "${MOVIELENS_TFX_VENV:-$repo_root/.venv}/bin/python" -m pipeline.cli "$@"
