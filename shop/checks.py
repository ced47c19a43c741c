"""System checks for the shop's deployment settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

INSECURE_DEMO_SECRET_KEY = "insecure-demo-key-set-DJANGO_SECRET_KEY"


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse the built-in demo secret key unless ``DJANGO_DEBUG`` is on."""
    if settings.SECRET_KEY == INSECURE_DEMO_SECRET_KEY and not settings.DEBUG:
        return [
            checks.Error(
                "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is off.",
                hint=(
                    "Set DJANGO_SECRET_KEY to a long random string, or DJANGO_DEBUG=1 on a development "
                    "machine (make demo makes a key of its own)."
                ),
                id="shop.E001",
            )
        ]
    return []
