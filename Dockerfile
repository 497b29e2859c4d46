# MakrX web image: the Django site served by gunicorn. The same image runs the
# Celery worker and beat (see docker-compose.yml), with a different command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Shared libraries only (no compilers: every requirement ships a wheel, and
# psycopg[binary] bundles its own libpq). Pango, its FreeType backend and
# HarfBuzz's subsetter are what WeasyPrint needs to render PDFs; fontconfig
# pulls in the DejaVu fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed id, so volume permissions are predictable.
# Its home is writable (gunicorn puts its control socket there); /app is not.
RUN groupadd --system --gid 10001 makrx \
    && useradd --system --uid 10001 --gid makrx --create-home --home-dir /home/makrx --shell /usr/sbin/nologin makrx

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected (hashed and compressed by WhiteNoise) at build time,
# so containers start without writing to the image. The key is a throwaway: the
# settings module needs one to load, and nothing signed at build time survives.
# MEDIA_ROOT is the only place the app writes; it belongs to the app user (a
# named volume mounted there inherits that ownership).
RUN SECRET_KEY=build-only-collectstatic DEBUG=false python manage.py collectstatic --no-input \
    && mkdir -p /app/media \
    && chown makrx:makrx /app/media

USER makrx

# Gunicorn reads its worker count from WEB_CONCURRENCY. Threads serve requests
# that wait on the database or the identity provider. No access log: the app
# writes one JSON line per request itself (makrx.observability).
ENV WEB_CONCURRENCY=2
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

CMD ["gunicorn", "makrx.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4"]
