"""Settings for the example shop, read from the environment (twelve-factor).

Every value that differs between a laptop demo and production comes from an environment variable with a
default that runs the embedded demo: SQLite and a storage folder under ``demo-data/``, and a local Redis.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from shop.checks import INSECURE_DEMO_SECRET_KEY
from video_plugin.jobs.brokers import dramatiq_broker
from video_plugin.jobs.storage import LOCAL_MEDIA_URL, storage_backend

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_DATA_DIR = BASE_DIR / "demo-data"


def env_flag(name: str, default: bool) -> bool:
    """Read a yes/no environment variable, refusing values that are neither."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value; use 1/0, true/false, yes/no or on/off"
    )


DEBUG = env_flag("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY a demo key is used, so management commands and tests run with no environment; it
# is refused outside DEBUG by shop.wsgi (gunicorn) and by `manage.py check --deploy` (see shop.checks).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or INSECURE_DEMO_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # django_dramatiq configures the broker in its AppConfig, so it must load before any app that declares
    # actors.
    "django_dramatiq",
    "shop",
    "video_plugin",
    "wagtailmedia",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    # Holds video_plugin's site setting (Settings → Presenter videos). ShopTenancy takes those defaults from
    # its organizations instead, but the plugin's checks want every app it can use.
    "wagtail.contrib.settings",
    # Settings → Locales: the languages pages are translated into.
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

if importlib.util.find_spec("wagtail_localize") is not None:
    # Optional: translating pages in the admin, segment by segment. Without it translations are made in code
    # (copy_for_translation, as the demo content does) and edited as ordinary pages.
    INSTALLED_APPS += ["wagtail_localize", "wagtail_localize.locales"]
    INSTALLED_APPS.remove("wagtail.locales")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page's address (/de/…), for Wagtail's translated pages.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    # SQLite creates the file but not its folder.
    DEMO_DATA_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DEMO_DATA_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True

# The shop sells in three languages: each product page has a translation per locale (a page of its own, in a
# translated copy of its organization's catalogue), and each translation its own presenter video.
WAGTAIL_I18N_ENABLED = True
LANGUAGES = WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("de", "German"), ("ja", "Japanese")]
# The admin speaks the languages the plugin has catalogues for; each editor picks one (Account → Preferences).
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
# The currency of the shop's prices, written as each page's language writes it (scripts, finished videos).
SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "USD")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", DEMO_DATA_DIR / "static"))

# One storage for images, media files and rendered videos (see video_plugin.jobs.storage).
VIDEO_STORAGE_URL = os.environ.get("VIDEO_STORAGE_URL") or str(DEMO_DATA_DIR / "storage")
STORAGES = {
    "default": storage_backend(VIDEO_STORAGE_URL),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = LOCAL_MEDIA_URL

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The broker: Redis (the default, REDIS_URL) or RabbitMQ (amqp://…); the runners must use the same BROKER_URL.
BROKER_URL = os.environ.get("BROKER_URL") or REDIS_URL
DRAMATIQ_BROKER = dramatiq_broker(
    BROKER_URL,
    setting="BROKER_URL" if os.environ.get("BROKER_URL") else "REDIS_URL",
    # Listed explicitly: django_dramatiq's default list names a middleware that dramatiq 2 removed.
    middleware=[
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.ShutdownNotifications",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Pipelines",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        # Fails jobs whose runner went silent (a thread in each events worker; inert in web processes).
        "video_plugin.jobs.watchdog_middleware.WatchdogMiddleware",
        # An events worker whose RabbitMQ queues were declared otherwise stops at boot, saying how to fix it.
        "video_plugin.jobs.brokers.QueueCheck",
        # Queue and actor figures, and the events worker's own (video_plugin.metrics_worker), served by the
        # events worker on dramatiq_prom_port (9191); inert in web processes.
        "dramatiq.middleware.prometheus.Prometheus",
    ],
)
# rundramatiq imports each app's ``actors`` module (video_plugin.actors holds the video_event actor).
DRAMATIQ_AUTODISCOVER_MODULES = ["actors"]

WAGTAIL_SITE_NAME = "Example shop"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAILMEDIA = {"MEDIA_MODEL": "wagtailmedia.Media"}
# The admin's avatars are the users' uploads or Wagtail's placeholder: no editor's browser asks an outside
# avatar service about the people in the shop's admin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

WAGTAIL_VIDEO = {
    # Organizations with roles; a site without organizations leaves TENANCY out (video_plugin.site_tenancy).
    "TENANCY": "shop.tenancy.ShopTenancy",
    "RENDERER": os.environ.get("WAGTAIL_VIDEO_RENDERER", "still"),
    "DEFAULT_VOICE": "espeak:en-us",
    # /video/metrics is off unless Prometheus is given a token (video_plugin.metrics).
    "METRICS_TOKEN": os.environ.get("VIDEO_METRICS_TOKEN", ""),
    # Runner capabilities and cancel flags live in Redis whichever broker carries the jobs.
    "REDIS_URL": REDIS_URL,
}

# Error pages and the error e-mails to ADMINS mask the passwords inside DATABASE_URL, REDIS_URL and the like.
DEFAULT_EXCEPTION_REPORTER_FILTER = "shop.error_reports.UrlCredentialsReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Wagtail's task runner logs every background task at INFO, which buries the video jobs' own lines.
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        name: {"level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")} for name in ("shop", "video_plugin")
    },
}
