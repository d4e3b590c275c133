"""Settings for ``bench/patient_page.py --server``: the project's, plus the bare-form baseline."""

from proms.settings import *  # noqa: F403
from proms.settings import STORAGES

ROOT_URLCONF = "patient_page_urls"
# Static files as collected for a deployment would be, without running collectstatic here.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
