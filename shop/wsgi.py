"""WSGI entry point: ``gunicorn shop.wsgi``."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

application = get_wsgi_application()

# gunicorn runs no system checks, so the one that guards the secret key is run here.
from shop.checks import check_secret_key  # noqa: E402

if errors := check_secret_key():
    raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
