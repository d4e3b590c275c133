from proms import checks  # noqa: F401  (registers the deployment checks)
from proms.celery import app as celery_app

__all__ = ("celery_app",)
