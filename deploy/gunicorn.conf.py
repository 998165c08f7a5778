"""gunicorn settings for Tanxin: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Behind nginx (deploy/nginx/tanxin.conf) on the same machine. Each value can be changed with an
environment variable in the EnvironmentFile (deploy/tanxin.env.example). `kill -HUP <master>`
(systemctl reload tanxin-web) starts new workers with new code and stops the old ones once they have
answered their requests: a reload without downtime.
"""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

wsgi_app = "config.wsgi:application"
chdir = str(BASE_DIR)

# 127.0.0.1:8000 behind nginx on the same machine; the private address (10.0.0.11:8000) when nginx
# runs on another machine and spreads requests over several web machines.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Sync workers (nginx buffers slow clients): 2 per CPU core + 1 unless WEB_CONCURRENCY says otherwise.
# Each holds one database connection (psycopg pool, min 1): `manage.py check_services` compares the
# total with PostgreSQL's max_connections.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
threads = 1
# A request running longer than this is ended (the worker is replaced); an HR full sync of 5,000
# records stays well within it. nginx waits a little longer (proxy_read_timeout 130s).
timeout = 120
# On stop or reload, workers get this long to answer the requests they hold.
graceful_timeout = 30
keepalive = 5
# A worker is replaced after about this many requests (spread so that they do not restart together).
max_requests = 2000
max_requests_jitter = 200
# Only nginx on this machine may say the request came over HTTPS (X-Forwarded-Proto, read by Django's
# SECURE_PROXY_SSL_HEADER); a list of addresses when nginx runs elsewhere.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The body limits of the app (PAGE_MAX_BODY_BYTES, API_MAX_BODY_BYTES, SYNC_MAX_BODY_BYTES) apply in
# Django; these only refuse absurd request lines and headers.
limit_request_line = 8190
limit_request_fields = 100

# Logs go to the journal (stderr). The access log names the path without its query string (a search
# may carry a person's name) and no referrer (the previous page's query string): client address,
# the address nginx saw (X-Real-IP), time, method, path, protocol, status, bytes, milliseconds.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %({x-real-ip}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
proc_name = "tanxin-web"
# systemd manages the server (systemctl reload / restart): no control socket in the home directory.
control_socket_disable = True


def when_ready(server):
    """Once, when the master is up: check Redis and PostgreSQL (wellbeing/service_checks.py) in a
    separate process, so that the master never loads Django (a reload then picks up new code), and
    never waits for it. Its WARNING / ERROR lines go to the same log; the web starts whatever they say."""
    server.log.info("checking Redis and PostgreSQL (manage.py check_services --log)")
    subprocess.Popen(  # noqa: S603 (our own command, no shell)
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "check_services",
            "--log",
            f"--web-processes={server.cfg.workers}",
            f"--web-threads={server.cfg.threads}",
        ],
        cwd=BASE_DIR,
    )
