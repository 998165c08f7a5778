#!/usr/bin/env bash
# Shows that two of CI's gates really fail: it plants (in a throw-away copy of the tree, never in
# yours) an import that breaks an import contract, and a server error in an API endpoint, and checks
# that `lint-imports` and the schemathesis step of .ci/run each fail on them, then pass without them.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/tanxin scripts/check_ci_gates.sh
#
# Needs the project's .venv (scripts/test.sh creates it) and, for the fuzz step, PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
COPY=$(mktemp -d)
trap 'rm -rf "$COPY"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$COPY"
cd "$COPY"
PY="$ROOT/.venv/bin/python"
LINT="$ROOT/.venv/bin/lint-imports"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tanxin}

expect() {  # expect <pass|fail> <what> <command...>
  local want=$1 what=$2
  shift 2
  if "$@" >"$COPY/last.log" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$want" ]; then
    tail -40 "$COPY/last.log"
    echo "UNEXPECTED: $what: wanted $want, got $got" >&2
    exit 1
  fi
  echo "ok: $what ($got, as it should)"
}

expect pass "import contracts on the tree as it is" "$LINT"
printf '\nimport talks.models  # noqa: F401,E402  (planted: the core must not import an app)\n' >>wellbeing/actors.py
expect fail "import contracts with the core importing the talks app" "$LINT"
git -C "$ROOT" show HEAD:wellbeing/actors.py >wellbeing/actors.py

FUZZ=("$PY" -m pytest -q -p no:cacheprovider --create-db -n 2 -m fuzz tests/fuzz -k complete)
expect pass "API fuzzing of follow-up completion" "${FUZZ[@]}"
"$PY" - <<'EOF'
from pathlib import Path

path = Path("wellbeing/api/followups.py")
text = path.read_text(encoding="utf-8")
marker = "    def complete(self, request, pk=None):\n"
assert marker in text, "the planted error needs the complete action"
path.write_text(text.replace(marker, marker + '        raise RuntimeError("planted server error")\n'), encoding="utf-8")
EOF
expect fail "API fuzzing with a planted server error" "${FUZZ[@]}"
echo "Both gates fail on a breach and pass without it."
