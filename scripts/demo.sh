#!/usr/bin/env bash
# Install everything into .venv, migrate, load the demo organisation, and start the web server
# with a Celery worker and beat. Embedded default: SQLite under var/ (or $TANXIN_VAR_DIR), a
# file-system broker, e-mail to the console. Stop everything with Ctrl-C (or SIGTERM).
#
# Environment: HOST, PORT (default 127.0.0.1:8000); TANXIN_VAR_DIR (database, queue and logs);
# TANXIN_SKIP_INSTALL=1 skips the pip install into .venv (an existing .venv is used as it is; the
# test of this script sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
if [ "${TANXIN_SKIP_INSTALL:-}" != 1 ]; then
  ensure_venv requirements.txt
fi

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=${TANXIN_VAR_DIR:-var}/log
mkdir -p "$LOG_DIR"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo | tee "$LOG_DIR/demo-logins.txt"

# Each process runs in its own process group (job control on: a background job's group id is its
# pid), so nothing of it can outlive the group (the worker's pool processes). Ctrl-C reaches only
# this script, which stops them: SIGTERM to each main process (the worker finishes its tasks and
# stops its pool, a warm shutdown), then SIGKILL to whatever is left in their groups after
# STOP_TIMEOUT seconds (default 20).
groups=()
stop() {
  trap - EXIT INT TERM
  [ ${#groups[@]} -gt 0 ] || return 0
  local group pids=() alive waited=0
  for group in "${groups[@]}"; do pids+=("-$group"); done
  kill -TERM -- "${groups[@]}" 2>/dev/null || true
  while [ "$waited" -lt $((${STOP_TIMEOUT:-20} * 10)) ]; do
    alive=0
    for group in "${groups[@]}"; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL -- "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "Tanxin demo stopped."
}
trap 'stop' EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

set -m
.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 >"$LOG_DIR/worker.log" 2>&1 &
groups+=($!)
.venv/bin/celery -A config beat --loglevel=INFO >"$LOG_DIR/beat.log" 2>&1 &
groups+=($!)
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload &
server=$!
groups+=("$server")
set +m

cat <<TXT

Tanxin is starting at http://$HOST:$PORT/
  Log in with any demo login above; the password is printed above the logins.
  Celery worker and beat are running (logs in $LOG_DIR/). Press Ctrl-C to stop everything.

TXT
# The server runs in the background so that a signal reaches this script at once (bash runs a trap
# only after the foreground command ends); when the server exits on its own, everything stops.
wait "$server"
