"""casecenter settings: one file, driven by the environment.

With nothing set, the service runs on SQLite, an in-memory channel layer and
console email/SMS, so a laptop gets a working demo. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. ``CASECENTER_ENV=production``
refuses to start when DEBUG is on or no secret key is given.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """The boolean environment variable ``name``; ``default`` when it is unset or empty.

    Accepted, in any case and with surrounding spaces ignored: ``1``, ``true``, ``yes``, ``on``
    for true; ``0``, ``false``, ``no``, ``off`` for false. Anything else (``DEBUG=maybe``) stops
    the process with ImproperlyConfigured naming the variable: a typo must not silently turn a
    setting off (or, for DEBUG, on)."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_networks(name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (``10.0.0.0/8, 192.0.2.7``); anything else stops
    the process, naming the variable."""
    networks = []
    for item in os.environ.get(name, "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item.strip()!r} is not an IP address or network (CIDR).") from None
    return tuple(networks)


def env_prepare_threshold(name: str, default: int) -> int | None:
    """psycopg's ``prepare_threshold`` from the environment variable ``name``: a count of runs
    (0 or more) before a statement is prepared, or ``off`` (None: never prepared); ``default``
    when unset or empty. Anything else stops the process, naming the variable."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw == "off":
        return None
    if raw.isdigit():
        return int(raw)
    raise ImproperlyConfigured(f"Environment variable {name}={raw!r}: a count of runs (0, 1, 2 …) or 'off'.")


ENVIRONMENT = os.environ.get("CASECENTER_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production settings refuse to start with DEBUG on.")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Production settings need SECRET_KEY (50+ random characters).")
elif not SECRET_KEY:
    SECRET_KEY = "dev-insecure-casecenter-key-only-for-local-development-0123456789"

# The key of the audit chain (HMAC-SHA256 over every case event, cases.chain). Its own secret, not
# SECRET_KEY: rotating the session key must not break the history. Production refuses an empty or
# short one; development and tests use a fixed, public key (their chains prove nothing).
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
if PRODUCTION:
    if len(AUDIT_KEY) < 32:
        raise ImproperlyConfigured("Production settings need AUDIT_KEY (32+ random characters).")
elif not AUDIT_KEY:
    AUDIT_KEY = "dev-insecure-casecenter-audit-key-not-secret"
# Where manage.py audit_checkpoint writes the daily digest of every case's chain head: outside
# the database, ideally on storage the database's administrators cannot rewrite.
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR", str(BASE_DIR / "var" / "audit-checkpoints"))

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The reverse proxies / load balancers in front of the web copies. Only from these is
# X-Forwarded-For believed (web.shell.client_address); empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # sign-in lockouts (web/signin.py)
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI files served locally: no CDN at runtime
    "channels",
    "cases",
    "sla",
    "telephony",
    "notifications",
    "stats",  # after sla: its case_changed receiver reads the clocks sla's receiver has just moved
    "kb",  # the knowledge base (知识库)
    "insight",  # smart dispatch, hotspot early warning (issue 14)
    # The edges (templates and template tags live beside their pages).
    "web.console",
    "web.portal",
    "web.public",
    "captcha",  # django-simple-captcha: the portal's image captcha (web/portal/captcha.py)
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "web.input_guard.RejectNulMiddleware",  # a NUL anywhere in the request: 400 naming the field
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into web.signin's answer
]

ROOT_URLCONF = "casecenter.urls"
WSGI_APPLICATION = "casecenter.wsgi.application"
ASGI_APPLICATION = "casecenter.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.shell.shell_context",  # the staff menu, on pages answered through @staff_page
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's own psycopg 3 connection pool (no persistent connections with it).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
            "timeout": 10,
        }
        if env_bool("DB_NO_POOL", False):
            DATABASES["default"]["OPTIONS"].pop("pool")
        # Server-side binding: the parameters travel apart from the SQL, so psycopg does not quote
        # them into the text and PostgreSQL can keep a statement prepared: one run
        # DB_PREPARE_THRESHOLD times (default 5) on a connection is prepared there and afterwards
        # neither parsed nor, once its generic plan is chosen, planned again (issue 11: the intake's
        # ten statements cost the backend a parse and a plan each). "off" keeps server-side binding
        # but prepares nothing (a pooler in transaction mode that does not track prepared statements).
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_prepare_threshold("DB_PREPARE_THRESHOLD", 5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A multi-user demo: every transaction takes the write lock at BEGIN (so a race waits
            # instead of failing to upgrade a read lock), a writer waits up to 20 s for another
            # (busy_timeout), and WAL lets pages read while someone writes. The loser of a race then
            # sees the winner's state and gets the 409 conflict, as on PostgreSQL.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite just uses the key columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "cases.User"

# --- Channels / Redis ------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# The test suite runs in parallel processes (pytest-xdist; scripts/test): each gets a Redis
# database of its own (cache, throttles, event numbering) and a channel prefix of its own (pub/sub
# channels span every database), as each gets its own test database from pytest-django.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and TEST_WORKER:
    _redis = urlsplit(REDIS_URL)
    _redis_db = int(_redis.path.strip("/") or 0) + int(TEST_WORKER.removeprefix("gw") or 0)
    REDIS_URL = _redis._replace(path=f"/{_redis_db}").geturl()
# Seconds to connect to Redis and to wait for each reply: a dead or stalled Redis must cost a
# request milliseconds, not seconds (the cache then falls back to memory, events are dropped).
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.5"))
# CHANNEL_LAYER=pubsub (the default with Redis): channels-redis' pub/sub layer. An event is one
# PUBLISH per topic (sent with its numbering in one script, notifications.events.direct_prefix);
# each web process subscribes once per group and hands it to its own sockets in memory. Missed
# messages are what the replay buffer is for. CHANNEL_LAYER=core: the list-per-consumer layer.
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
# The prefix of the layer's Redis keys and pub/sub channels. Pub/sub channels are not per database
# number: installations (or test runs) sharing one Redis need prefixes of their own.
CHANNEL_PREFIX = (os.environ.get("CASECENTER_CHANNEL_PREFIX", "") or "asgi") + TEST_WORKER
if REDIS_URL and CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": REDIS_TIMEOUT}],
                "prefix": CHANNEL_PREFIX,
                "serializer_format": "json",
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # No socket_timeout here: consumers block on BZPOPMIN for seconds by design; sends are
            # bounded by notifications.events instead.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": REDIS_TIMEOUT}],
                "prefix": CHANNEL_PREFIX,
                "capacity": 1500,
                "expiry": 10,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Live pages: the server sends a heartbeat this often on every socket; a page that hears nothing
# for twice as long shows itself as not live. Without Redis, worker processes' events relay
# through the database and the web process polls for them this often (notifications.events).
LIVE_HEARTBEAT_SECONDS = 15
LIVE_RELAY_POLL_SECONDS = 1.0

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Refuses nothing: its password_changed hook revokes the API token and closes the WebSockets.
    {"NAME": "web.signout.EndSessionsOnPasswordChange"},
]
# Locked-out accounts and addresses are refused before any password is checked (django-axes).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

# --- Sign-in lockouts (django-axes; the two rules are explained in web/signin.py) ---------
AXES_HANDLER = "web.signin.SignInFailures"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = 5  # one account from one address
LOGIN_ADDRESS_FAILURE_LIMIT = 20  # every account from one address (an office shares one)
AXES_COOLOFF_TIME = timedelta(minutes=15)
# A refused try does not extend the lock: it ends the cool-off after the failure that set it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "web.signin.attempted_username"  # cut to a username's length
AXES_CLIENT_IP_CALLABLE = "web.shell.client_address"  # the one address rule (TRUSTED_PROXIES)
AXES_LOCKOUT_CALLABLE = "web.signin.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, for administrators in the admin
AXES_VERBOSE = False  # no banner on every manage.py command

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"  # never routed: attachments are served only by web.attachments.download
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))

# --- Attachments (cases/attachments.py, web/uploads.py, web/attachments.py) ---------------
_max_file = os.environ.get("ATTACHMENTS_MAX_FILE_BYTES", "").strip() or str(5 * 1024 * 1024)
if not _max_file.isdigit() or int(_max_file) < 1024:
    raise ImproperlyConfigured(f"ATTACHMENTS_MAX_FILE_BYTES={_max_file!r}: a whole number of bytes, at least 1024.")
ATTACHMENTS_MAX_FILE_BYTES = int(_max_file)
# e.g. "/protected-attachments/": nginx serves the file from that internal location once the
# download view has checked who asks (README "Attachments in production"); empty: the view streams it.
ATTACHMENTS_X_ACCEL_REDIRECT = os.environ.get("ATTACHMENTS_X_ACCEL_REDIRECT", "").strip()
if ATTACHMENTS_X_ACCEL_REDIRECT and not ATTACHMENTS_X_ACCEL_REDIRECT.startswith("/"):
    raise ImproperlyConfigured(
        f"ATTACHMENTS_X_ACCEL_REDIRECT={ATTACHMENTS_X_ACCEL_REDIRECT!r}: an nginx internal location path, "
        "e.g. /protected-attachments/."
    )
# The size limit counts bytes as they arrive and stops reading at it; the others keep what passed
# (in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then in a temporary file).
FILE_UPLOAD_HANDLERS = [
    "web.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Form fields besides files (Django's default); bigger bodies of plain fields are refused whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email / SMS ----------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# Seconds for each SMTP operation (Django's default is none: a silent server hangs the worker).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "casecenter@localhost")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")  # console | twilio

TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "" if PRODUCTION else "demo-twilio-auth-token")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "+8610095100")
# Seconds for each Twilio API request (SMS, call updates); the client has no timeout by default.
TWILIO_TIMEOUT = float(os.environ.get("TWILIO_TIMEOUT", "10"))
# Where citizens and Twilio reach the service: every link in an SMS or e-mail starts here. In
# development it follows the port `scripts/serve` runs on (PORT, 8000 by default).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
if not PUBLIC_BASE_URL and not PRODUCTION:
    PUBLIC_BASE_URL = f"http://127.0.0.1:{os.environ.get('PORT', '').strip() or '8000'}"
if PRODUCTION:
    if not TWILIO_AUTH_TOKEN.strip():
        raise ImproperlyConfigured(
            "Production settings need TWILIO_AUTH_TOKEN: without it no Twilio webhook can be verified."
        )
    _public_host = (urlsplit(PUBLIC_BASE_URL).hostname or "").lower()
    if not _public_host or _public_host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"}:
        raise ImproperlyConfigured(
            f"Production settings need PUBLIC_BASE_URL, the address citizens and Twilio reach "
            f"(https://...), not {PUBLIC_BASE_URL!r}: every link in an SMS or e-mail starts with it."
        )
# Telephony (95100 hotline): "twilio" places real outbound calls; "console" only logs them.
TELEPHONY_BACKEND = os.environ.get("TELEPHONY_BACKEND", SMS_BACKEND)
TELEPHONY_GREETING = os.environ.get(
    "TELEPHONY_GREETING", "您好，这里是95100政务服务热线。通话可能被录音。正在为您转接话务员，请稍候。"
)
TELEPHONY_OPEN_HOURS = tuple(os.environ.get("TELEPHONY_OPEN_HOURS", "08:00-20:00").split("-", 1))  # daily, local time
TELEPHONY_QUEUE_NAME = os.environ.get("TELEPHONY_QUEUE_NAME", "hotline")
TELEPHONY_SMS_DEFAULT_CATEGORY = os.environ.get("TELEPHONY_SMS_DEFAULT_CATEGORY", "CIV-COMM")

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's TokenAuthentication, valid tokens remembered per process for a few seconds.
        "web.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "web.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "public_track": "30/min",
        "public_submit": "10/hour",
        # Failed tracking lookups are web/portal/limits.py's TRACK_FAILURES, shared with the portal.
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # JSON only: the browsable HTML API is not offered (nothing to show beyond the data).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "casecenter staff API",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Content-Security-Policy (django-csp 4) -------------------------------------------
# Scripts and styles come from our own static files only: no inline <script>, no on*="..."
# handlers, no style="..." attributes (bars use the .w-N / .h-N classes in app.css).
# data: images only for the icons Swagger UI's stylesheet embeds.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # CSP 3: 'self' also covers ws(s):// to this host (live boards)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Captcha (django-simple-captcha, used by web/portal/captcha.py) ---------------------
CAPTCHA_FONT_SIZE = 30  # the library's own font (Bitstream Vera), shipped with the package
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
# Test mode: the answer "passed" is accepted (the challenge is still used up). For the test
# suite and browser tests only, which cannot read an image; production refuses it.
CAPTCHA_TEST_MODE = env_bool("CAPTCHA_TEST_MODE", False)
if PRODUCTION and CAPTCHA_TEST_MODE:
    raise ImproperlyConfigured("Production settings refuse CAPTCHA_TEST_MODE: it lets any script past the captcha.")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    # Redis, or this process's memory while Redis is unreachable (casecenter.cache).
    CACHES = {
        "default": {
            "BACKEND": "casecenter.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }

# --- Security (production) ---------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

DEMO_DATA_ALLOWED = not PRODUCTION
SEED_DATA_PATH = Path(os.environ.get("SEED_DATA_PATH", str(BASE_DIR.parent / "shared" / "data" / "district.json")))
if not SEED_DATA_PATH.exists():
    SEED_DATA_PATH = BASE_DIR / "cases" / "fixtures" / "district.json"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes narrates every sign-in at INFO; its warnings (failures, lockouts) are the ones to keep.
    "loggers": {"axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")}},
}
