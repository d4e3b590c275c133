"""gunicorn settings for deployment (Dockerfile, docker-compose.yml): access log without patient
links, letter codes or API keys.

gunicorn merges ``logconfig_dict`` into its own defaults one key deep: our ``handlers`` replace
its ``console`` handler, so its default ``root`` (which names ``console``) must be replaced too or
gunicorn exits with "Unable to configure root logger". Every top-level key it defaults is
therefore given here, complete (tests/test_deployment.py starts gunicorn with this file).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "proms.logging.RedactPatientLinks"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
    },
}
