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

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 --user-group medly

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY . .

# The key exists only for this command: settings refuse DEBUG=0 without one.
# DEBUG=0 also writes the hashed, compressed files and manifest that production serves.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key python manage.py collectstatic --noinput \
 && mkdir -p /app/var \
 && chown medly:medly /app/var

USER medly

EXPOSE 8000
ENTRYPOINT ["/app/bin/docker-entrypoint"]
CMD ["gunicorn", "medly.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
