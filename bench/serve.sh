#!/usr/bin/env bash
# Serve Medly in production mode (DEBUG=0) under gunicorn on MariaDB, Redis and
# the embedded MongoDB, for bench/booking.py and bench/consultations.py. Runs in
# the foreground; Ctrl-C (or SIGTERM) stops gunicorn and the embedded MongoDB it
# started.
#
#   bench/serve.sh                  # 4 workers on http://127.0.0.1:8100
#   WORKERS=2 bench/serve.sh
#   WORKER_CLASS=gthread WORKERS=2 THREADS=8 bench/serve.sh
#   DATABASE_CONN_MAX_AGE=0 bench/serve.sh   # a new MySQL connection per request
#   MAX_FUTURE_APPOINTMENTS=1000 bench/serve.sh   # for bench/booking_ratio.py's long booking phase
#   MONGO_DATA=file bench/serve.sh  # embedded MongoDB keeps its data in a SQLite file (survives a restart)
#   bench/serve.sh drop             # afterwards: drop the bench database, empty the Redis db, remove CONTROL_DIR
#
# Settings (environment): PORT (8100), WORKERS (4), BENCH_DB (medly_bench),
# MYSQL_URL (mysql://root@127.0.0.1:3306), MONGO_PORT (27400), REDIS_DB (12),
# MONGO_DATA (memory | file), CONTROL_DIR (/tmp/medly-bench-$PORT),
# WORKER_CLASS (sync | gthread, default sync), THREADS (1; gthread's threads per worker),
# DATABASE_CONN_MAX_AGE (the settings' default when unset: persistent connections).
#
# CONTROL_DIR, for the benchmarks and the operator:
#   env         the server's environment as `export` lines: `. $CONTROL_DIR/env` before running
#               manage.py check_consistency / reconcile against this server's stores
#   mongo.pid   pid of the running embedded MongoDB (absent while it is down)
#   mongo.port  its port; mongo.path: its SQLite file (empty: in memory)
#   mongo.hold  while this file exists a stopped embedded MongoDB is not restarted;
#               otherwise serve.sh restarts it half a second after it exits
#   mongo.sqlite3  the data with MONGO_DATA=file
# In memory (the default) a restart of the embedded MongoDB loses every record
# and encounter while MySQL keeps its rows: drop between serve.sh sessions.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8100}
WORKERS=${WORKERS:-4}
WORKER_CLASS=${WORKER_CLASS:-sync}
THREADS=${THREADS:-1}
BENCH_DB=${BENCH_DB:-medly_bench}
MYSQL_URL=${MYSQL_URL:-mysql://root@127.0.0.1:3306}
MONGO_PORT=${MONGO_PORT:-27400}
REDIS_DB=${REDIS_DB:-12}
MONGO_DATA=${MONGO_DATA:-memory}
CONTROL_DIR=${CONTROL_DIR:-/tmp/medly-bench-${PORT}}
PY=.venv/bin/python

if [[ "${1:-}" == "drop" ]]; then
    mysql -uroot -e "drop database if exists ${BENCH_DB}"
    redis-cli -n "${REDIS_DB}" flushdb
    rm -rf "${CONTROL_DIR}"
    echo "dropped ${BENCH_DB}, emptied Redis db ${REDIS_DB}, removed ${CONTROL_DIR}"
    exit 0
fi
case "${MONGO_DATA}" in
    memory) MONGO_PATH= ;;
    file) MONGO_PATH=${CONTROL_DIR}/mongo.sqlite3 ;;
    *) echo "MONGO_DATA must be memory or file" >&2; exit 2 ;;
esac

export DATABASE_URL="${MYSQL_URL}/${BENCH_DB}"
export REDIS_URL="redis://127.0.0.1:6379/${REDIS_DB}"
export MONGO_URI="mongodb://127.0.0.1:${MONGO_PORT}/${BENCH_DB}"
export DEBUG=0
export SECRET_KEY=${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=127.0.0.1,localhost
export MEDLY_PLAIN_HTTP=1
# One embedded server, no elections to outlast: keep the 2 s outage answer the results were measured with.
export MONGO_TIMEOUT_MS=${MONGO_TIMEOUT_MS:-2000}
# Every bench patient signs up from 127.0.0.1: lift the per-address sign-up limit.
export SIGNUPS_PER_HOUR_PER_ADDRESS=${SIGNUPS_PER_HOUR_PER_ADDRESS:-1000000}
TMP_STATIC=
if [[ -z "${STATIC_ROOT:-}" ]]; then
    TMP_STATIC=$(mktemp -d -t medly-bench-static.XXXXXX)
    export STATIC_ROOT=${TMP_STATIC}
fi
# Confirmation emails go to gunicorn's stdout: no SMTP server on a bench machine.
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}

mysql -uroot -e "create database if not exists ${BENCH_DB} character set utf8mb4 collate utf8mb4_unicode_ci"

mkdir -p "${CONTROL_DIR}"
chmod 700 "${CONTROL_DIR}"
rm -f "${CONTROL_DIR}/mongo.hold" "${CONTROL_DIR}/mongo.pid"
printf '%s\n' "${MONGO_PORT}" > "${CONTROL_DIR}/mongo.port"
printf '%s\n' "${MONGO_PATH}" > "${CONTROL_DIR}/mongo.path"
if [[ -n "${DATABASE_CONN_MAX_AGE:-}" ]]; then export DATABASE_CONN_MAX_AGE; fi
ENV_NAMES=(DATABASE_URL REDIS_URL MONGO_URI MONGO_TIMEOUT_MS DEBUG SECRET_KEY ALLOWED_HOSTS MEDLY_PLAIN_HTTP EMAIL_BACKEND SIGNUPS_PER_HOUR_PER_ADDRESS)
(
    umask 077
    for name in "${ENV_NAMES[@]}"; do printf 'export %s=%q\n' "${name}" "${!name}"; done > "${CONTROL_DIR}/env"
)

MONGO_ARGS=(--port "${MONGO_PORT}")
[[ -n "${MONGO_PATH}" ]] && MONGO_ARGS+=(--path "${MONGO_PATH}")
# The embedded MongoDB, restarted whenever it exits (unless mongo.hold exists):
# bench/consultations.py --outage stops it through mongo.pid and brings it back.
supervise_mongo() {
    local pid=
    trap 'if [[ -n "${pid}" ]]; then kill -CONT "${pid}" 2>/dev/null; kill "${pid}" 2>/dev/null; wait "${pid}"; fi; exit 0' TERM INT
    while true; do
        while [[ -e "${CONTROL_DIR}/mongo.hold" ]]; do sleep 0.2; done
        $PY manage.py embedded_mongo "${MONGO_ARGS[@]}" &
        pid=$!
        printf '%s\n' "${pid}" > "${CONTROL_DIR}/mongo.pid"
        wait "${pid}" || true
        pid=
        rm -f "${CONTROL_DIR}/mongo.pid"
        echo "serve.sh: the embedded MongoDB exited; it restarts once ${CONTROL_DIR}/mongo.hold is gone" >&2
        sleep 0.5
    done
}
supervise_mongo &
MONGO_SUPERVISOR=$!
GUNICORN_PID=
cleanup() {
    [[ -n "${GUNICORN_PID}" ]] && kill "${GUNICORN_PID}" 2>/dev/null || true
    kill "${MONGO_SUPERVISOR}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -f "${CONTROL_DIR}/mongo.pid" "${CONTROL_DIR}/mongo.hold"
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
    --workers "${WORKERS}" --worker-class "${WORKER_CLASS}" --threads "${THREADS}" --timeout 60 &
GUNICORN_PID=$!
wait "${GUNICORN_PID}"
