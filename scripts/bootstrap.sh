#!/usr/bin/env bash
# Creates .venv (Python 3.10) and installs the pinned package set into it.
# Reuses the environment when constraints.txt and setup.py are unchanged.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MOVIELENS_TFX_VENV:-$repo_root/.venv}"
stamp_file="$venv/.movielens-tfx-stamp"

find_python310() {
  local candidate
  for candidate in python3.10 "${PYENV_ROOT:-$HOME/.pyenv}/versions/3.10.13/bin/python" \
      /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: Python 3.10 is required (TFX 1.16 supports 3.9-3.10); install it and retry." >&2
  return 1
}

wanted_stamp="$(cat "$repo_root/constraints.txt" "$repo_root/setup.py" | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp_file" && "$(cat "$stamp_file")" == "$wanted_stamp" ]]; then
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "Creating virtual environment in $venv" >&2
  "$(find_python310)" -m venv "$venv"
fi
echo "Installing the pinned package set (constraints.txt); this takes a few minutes the first time" >&2
# setuptools as constraints.txt pins it (below 81: TensorBoard 2.16 imports pkg_resources).
"$venv/bin/python" -m pip install --quiet --upgrade pip "setuptools==80.10.2" wheel
"$venv/bin/python" -m pip install --quiet -c "$repo_root/constraints.txt" -e "$repo_root[test]"
"$venv/bin/python" -m pip check
echo "$wanted_stamp" > "$stamp_file"
