"""gunicorn settings for deployment (docker-compose.yml): access log without patient links."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "proms.logging.RedactPatientLinks"}},
    "handlers": {
        "access": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "error": {"class": "logging.StreamHandler", "filters": ["redact"]},
    },
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
    },
}
