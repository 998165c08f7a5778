#!/usr/bin/env bash
# Install everything into .venv, migrate, load the demo organisation, and start the web server
# with a Celery worker and beat. Embedded default: SQLite under var/, a file-system broker, e-mail
# to the console. Stop everything with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
ensure_venv requirements.txt

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var/log
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo | tee var/log/demo-logins.txt

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
worker=$!
.venv/bin/celery -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

cat <<TXT

Tanxin is starting at http://$HOST:$PORT/
  Log in with any demo login above; the demo password is Tanxin-demo-2026.
  Celery worker and beat are running (logs in var/log/). Press Ctrl-C to stop everything.

TXT
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload
