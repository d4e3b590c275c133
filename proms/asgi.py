import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
application = get_asgi_application()

from proms.serving import (  # noqa: E402  (needs settings loaded)
    process_ready_to_serve,
    refuse_insecure_secret_key,
)

refuse_insecure_secret_key()
process_ready_to_serve()
