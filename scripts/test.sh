#!/usr/bin/env bash
# Install everything into .venv and run the whole test suite.
# Uses SQLite and in-process Celery by default; set DATABASE_URL / CELERY_BROKER_URL to run the
# suite against PostgreSQL and Redis (as .ci/run does). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
ensure_venv requirements-dev.txt
exec .venv/bin/python -m pytest --create-db -n "${TEST_WORKERS:-2}" "$@"
