#!/usr/bin/env bash
# Screenshots of each role's home page (and the pages a supervisor's morning goes through) at 375 px
# and at desktop width, in Chinese and in English, from a fresh demo county. Anyone can run it:
#
#   bash scripts/screenshots.sh [output directory, default: screenshots/]
#
# Needs Debian's chromium (apt-get install chromium) and, for Chinese text, a CJK font
# (apt-get install fonts-noto-cjk). Uses its own database under a temporary TANXIN_VAR_DIR, so it never
# touches your demo; it starts the web server on a free port and stops it when done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
if [ "${TANXIN_SKIP_INSTALL:-}" != 1 ]; then
  ensure_venv requirements-dev.txt
fi
OUT=${1:-screenshots}
mkdir -p "$OUT"
VAR=$(mktemp -d)
export TANXIN_VAR_DIR="$VAR" DJANGO_SETTINGS_MODULE=config.settings.local
unset DATABASE_URL CELERY_BROKER_URL
PASSWORD=${TANXIN_DEMO_PASSWORD:-Tanxin-demo-2026}
.venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python manage.py seed_demo --password "$PASSWORD" >/dev/null
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" --noreload >"$VAR/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$VAR"' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/" 2>/dev/null && break
  sleep 0.2
done
.venv/bin/python scripts/screenshots.py --url "http://127.0.0.1:$PORT" --password "$PASSWORD" --out "$OUT"
