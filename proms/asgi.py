import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
application = get_asgi_application()

from proms.serving import refuse_insecure_secret_key  # noqa: E402  (needs settings loaded)

refuse_insecure_secret_key()
