"""gunicorn settings for Medly: `gunicorn -c gunicorn.conf.py --bind 0.0.0.0:8000 medly.wsgi:application`.

Used by the Docker image and the README. WEB_CONCURRENCY overrides the worker count, GUNICORN_THREADS the
threads per worker, GUNICORN_WORKER_CLASS the worker class (sync or gthread).
"""

import os


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Threaded workers, one per CPU (at least two, so a recycled worker never leaves none), 8 threads each
# (bench/README.md, "Serving: workers and connections"): on 2 cores, in two runs, 2 x 8 served bookings
# 1.9-2.8 x as fast as 2 x CPUs + 1 sync workers, and the login page and an authenticated page faster too.
# A booking waits on MySQL (row locks, the commit) and Redis; a sync worker idles through those waits, a
# thread hands the CPU to its siblings. Every thread keeps its own MySQL connection (DATABASE_CONN_MAX_AGE):
# workers x threads per instance count against MySQL's max_connections, and a thread waiting on a row
# lock (innodb_lock_wait_timeout, 5 s) holds one connection, not the whole worker.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, _cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS") or 8)
# Recycle each worker after about a thousand requests, not all at once, so a slow leak never grows.
max_requests = 1000
max_requests_jitter = 100
# Longer than MongoDB's production wait for a primary (12 s) plus a slow answer.
timeout = 60
graceful_timeout = 30
# The heartbeat file lives in memory: on a disk-backed /tmp a slow disk could stall every worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

accesslog = "-"
errorlog = "-"
# Path without the query string and no referrer: both can carry patient names (?q=...).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# gunicorn 27 otherwise opens a control socket at one fixed path per user
# ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl), so a second
# instance on the host would take over the first one's. Medly does not use it.
control_socket_disable = True
