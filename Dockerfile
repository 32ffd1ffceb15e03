# Medly: gunicorn serving the Django app, static files through WhiteNoise.
#
# Bookworm, not the newer Debian release: its libmariadb3 (MariaDB 10.11) is
# the client library Medly is checked against, and it does not force TLS with
# certificate verification, which MySQL's self-signed certificate would fail.

FROM python:3.13-slim-bookworm AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential default-libmysqlclient-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt


FROM python:3.13-slim-bookworm

# Production unless told otherwise: DEBUG=1 is for development machines only.
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0

RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 --user-group medly

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY . .

# The key exists only for this command: settings refuse DEBUG=0 without one (of
# at least 50 characters). DEBUG=0 also writes the hashed, compressed files and
# manifest that production serves.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key-never-used-at-runtime-0123 python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media \
 && chown -R medly:medly /app/var

USER medly

EXPOSE 8000
# Liveness only: the process answers. /livez touches no store, so a MongoDB or
# Redis outage never gets a serving container replaced (readiness is /healthz).
# Services built from this image that serve no HTTP disable it (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4)"]
ENTRYPOINT ["/app/bin/docker-entrypoint"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "medly.wsgi:application"]
