# ScaleUp in production: PostgreSQL through SCALEUP_DATABASE_URL, documents on a mounted volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SCALEUP_ENVIRONMENT=production \
    SCALEUP_STORAGE_DIR=/data/documents

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home-dir /app scaleup \
 && mkdir -p /data/documents && chown -R scaleup /data

USER scaleup
EXPOSE 8000
VOLUME ["/data"]
# Migrate, then serve. SCALEUP_DATABASE_URL and SCALEUP_SECRET_KEY must be provided.
CMD ["sh", "-c", "scaleup db upgrade && exec scaleup serve --host 0.0.0.0 --port 8000 --workers ${SCALEUP_WORKERS:-4}"]
