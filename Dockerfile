# The one image behind web, worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# WeasyPrint needs Pango for PDF letters; curl for the health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Settings refuse to load without SECRET_KEY outside DEBUG; collecting static files signs
# nothing, so this build step alone gets a throwaway key (it is not kept in the image).
RUN SECRET_KEY=collectstatic-build-step-only-not-a-secret python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 proms && chown -R proms /app
USER proms
EXPOSE 8000
CMD ["gunicorn", "proms.wsgi:application", "--config", "python:proms.gunicorn_conf"]
