#!/usr/bin/env bash
# Serve Medly in production mode (DEBUG=0) under gunicorn on MariaDB, Redis and
# the embedded MongoDB, for bench/booking.py. Runs in the foreground; Ctrl-C
# (or SIGTERM) stops gunicorn and the embedded MongoDB it started.
#
#   bench/serve.sh                  # 4 workers on http://127.0.0.1:8100
#   WORKERS=2 bench/serve.sh
#   bench/serve.sh drop             # afterwards: drop the bench database, empty the Redis db
#   UNGUARDED=1 bench/serve.sh      # control run: race guards off (bench/control_settings.py)
#
# Settings (environment): PORT (8100), WORKERS (4), BENCH_DB (medly_bench),
# MYSQL_URL (mysql://root@127.0.0.1:3306), MONGO_PORT (27400), REDIS_DB (12).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8100}
WORKERS=${WORKERS:-4}
BENCH_DB=${BENCH_DB:-medly_bench}
MYSQL_URL=${MYSQL_URL:-mysql://root@127.0.0.1:3306}
MONGO_PORT=${MONGO_PORT:-27400}
REDIS_DB=${REDIS_DB:-12}
PY=.venv/bin/python

if [[ "${1:-}" == "drop" ]]; then
    mysql -uroot -e "drop database if exists ${BENCH_DB}"
    redis-cli -n "${REDIS_DB}" flushdb
    echo "dropped ${BENCH_DB}, emptied Redis db ${REDIS_DB}"
    exit 0
fi

if [[ "${UNGUARDED:-0}" == 1 ]]; then
    export PYTHONPATH=bench DJANGO_SETTINGS_MODULE=control_settings
    echo "CONTROL RUN: booking race guards are OFF" >&2
fi
export DATABASE_URL="${MYSQL_URL}/${BENCH_DB}"
export REDIS_URL="redis://127.0.0.1:6379/${REDIS_DB}"
export MONGO_URI="mongodb://127.0.0.1:${MONGO_PORT}/${BENCH_DB}"
export DEBUG=0
export SECRET_KEY=${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=127.0.0.1,localhost
export MEDLY_PLAIN_HTTP=1
TMP_STATIC=
if [[ -z "${STATIC_ROOT:-}" ]]; then
    TMP_STATIC=$(mktemp -d -t medly-bench-static.XXXXXX)
    export STATIC_ROOT=${TMP_STATIC}
fi
# Confirmation emails go to gunicorn's stdout: no SMTP server on a bench machine.
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}

mysql -uroot -e "create database if not exists ${BENCH_DB} character set utf8mb4 collate utf8mb4_unicode_ci"

$PY manage.py embedded_mongo --port "${MONGO_PORT}" &
MONGO_PID=$!
GUNICORN_PID=
cleanup() {
    [[ -n "${GUNICORN_PID}" ]] && kill "${GUNICORN_PID}" 2>/dev/null || true
    kill "${MONGO_PID}" 2>/dev/null || true
    wait 2>/dev/null || true
    [[ -n "${TMP_STATIC}" ]] && rm -rf "${TMP_STATIC}"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wait for the embedded MongoDB to accept connections.
$PY - "${MONGO_PORT}" <<'EOF'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("embedded MongoDB did not start")
EOF

$PY manage.py migrate --noinput
$PY manage.py ensure_indexes
$PY manage.py collectstatic --noinput >/dev/null
$PY manage.py seed_demo

.venv/bin/gunicorn medly.wsgi:application --bind "127.0.0.1:${PORT}" \
    --workers "${WORKERS}" --threads 1 --timeout 60 &
GUNICORN_PID=$!
wait "${GUNICORN_PID}"
