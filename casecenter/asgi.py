"""ASGI entry point: HTTP through Django, /ws/ through Channels with the staff session.

Served in production by uvicorn (README, "Production layout"): ``uvicorn casecenter.asgi:application
--workers N --lifespan off --no-proxy-headers`` (uvloop, httptools and websockets are installed,
so it uses them); daphne (``runserver``) in development and in the browser tests."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from notifications.routing import websocket_urlpatterns  # noqa: E402

if settings.DEBUG:
    # What runserver does, for a development uvicorn (scripts/serve SERVER=uvicorn); production
    # (DEBUG off) leaves /static/ to the proxy.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
