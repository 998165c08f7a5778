# Sourced by the scripts: find Python 3.11 and make the project's virtual environment.
find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Tanxin needs Python 3.11 (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

ensure_venv() {
  local requirements=$1
  local python
  python=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv ..."
    "$python" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
}
