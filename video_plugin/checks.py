"""System checks: what ``manage.py check`` (and ``runserver``, ``migrate``) says about a host's setup, so that
a missing app or a bad ``WAGTAIL_VIDEO`` is an error with a fix at start-up, not a traceback at request time.

=======================  ==========================================================================
id                       problem
=======================  ==========================================================================
``video_plugin.E001``    an app the plugin needs is not in ``INSTALLED_APPS``
``video_plugin.E002``    ``DRAMATIQ_BROKER`` is not set
``video_plugin.E003``    ``WAGTAIL_VIDEO["TENANCY"]`` does not import
``video_plugin.E004``    ``WAGTAIL_VIDEO["TENANCY"]`` is not a :class:`~video_plugin.tenancy.Tenancy` subclass
``video_plugin.E005``    ``WAGTAIL_VIDEO`` has an unknown key
``video_plugin.E006``    a ``WAGTAIL_VIDEO`` value is invalid (renderer, script limit, collection name)
``video_plugin.E007``    ``DRAMATIQ_BROKER["MIDDLEWARE"]`` lacks a middleware the plugin's actors use
``video_plugin.E008``    ``DRAMATIQ_AUTODISCOVER_MODULES`` lacks ``"actors"``, so the events worker loads none
``video_plugin.E009``    a ``VideoPageMixin`` page type has no ``VideoPanel`` in its editor
``video_plugin.E010``    a ``VideoPageMixin`` page type's form does not check its images (``VideoPageForm``)
=======================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string
from wagtail.admin.panels import Panel
from wagtail.models import get_page_models

from video_plugin.conf import DEFAULTS, setting_problems
from video_plugin.editor.page_form import VideoPageForm
from video_plugin.editor.panels import VideoPanel
from video_plugin.mixins import VideoPageMixin
from video_plugin.tenancy import Tenancy

# App name → what the plugin uses it for, which the error's hint repeats.
REQUIRED_APPS: dict[str, str] = {
    "wagtail.contrib.settings": "the default tenancy's Settings → Presenter videos",
    "wagtailmedia": "the Media items finished videos become",
    "django_dramatiq": "the broker that carries jobs to the GPU runners (list it before video_plugin)",
    "rest_framework": "the job API",
}


def required_apps_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001: every app the plugin builds on is installed."""
    return [
        Error(
            f"{name!r} is not in INSTALLED_APPS; the presenter video plugin needs it for {purpose}.",
            hint=f"Add {name!r} to INSTALLED_APPS.",
            id="video_plugin.E001",
        )
        for name, purpose in REQUIRED_APPS.items()
        if not apps.is_installed(name)
    ]


def broker_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E002: ``DRAMATIQ_BROKER`` is set; django_dramatiq's default names a middleware dramatiq 2 removed."""
    if getattr(settings, "DRAMATIQ_BROKER", None):
        return []
    return [
        Error(
            "DRAMATIQ_BROKER is not set, so video jobs cannot reach the GPU runners.",
            hint="Set DRAMATIQ_BROKER = video_plugin.jobs.brokers.dramatiq_broker(BROKER_URL, "
            "middleware=[...]), listing the middleware explicitly (see the README's settings).",
            id="video_plugin.E002",
        )
    ]


# Middleware whose options the plugin's actors set: without it Dramatiq refuses to declare them.
REQUIRED_MIDDLEWARE: dict[str, str] = {
    "dramatiq.middleware.Retries": "max_retries, min_backoff and throws",
    "dramatiq.middleware.TimeLimit": "the webhook actor's time_limit",
}


def middleware_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E007: the broker's middleware list holds what the actors' options need (an explicit list may not)."""
    broker = getattr(settings, "DRAMATIQ_BROKER", None) or {}
    listed = broker.get("MIDDLEWARE")
    if listed is None:  # django_dramatiq's default list, which E002 already sends the host to replace
        return []
    return [
        Error(
            f"DRAMATIQ_BROKER['MIDDLEWARE'] lacks {name!r}, which the presenter video actors need for "
            f"{purpose}.",
            hint=f"Add {name!r} to DRAMATIQ_BROKER['MIDDLEWARE'].",
            id="video_plugin.E007",
        )
        for name, purpose in REQUIRED_MIDDLEWARE.items()
        if name not in listed
    ]


def autodiscover_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E008: ``rundramatiq`` imports the plugin's ``actors`` module; its default looks for ``tasks`` only."""
    modules = getattr(settings, "DRAMATIQ_AUTODISCOVER_MODULES", ["tasks"])
    if "actors" in modules:
        return []
    return [
        Error(
            "DRAMATIQ_AUTODISCOVER_MODULES does not name 'actors', so `manage.py rundramatiq` loads none of "
            "the presenter video actors: the events worker would start and never apply a runner's report.",
            hint=f"Set DRAMATIQ_AUTODISCOVER_MODULES = {[*modules, 'actors']!r}.",
            id="video_plugin.E008",
        )
    ]


def settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E005 and E006: ``WAGTAIL_VIDEO`` has only known keys, with valid values."""
    return [
        Error(
            problem.message,
            hint=problem.hint,
            id="video_plugin.E005" if problem.unknown_key else "video_plugin.E006",
        )
        for problem in setting_problems(getattr(settings, "WAGTAIL_VIDEO", {}))
    ]


def tenancy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E003 and E004: ``WAGTAIL_VIDEO["TENANCY"]`` names an importable :class:`Tenancy` subclass."""
    configured = getattr(settings, "WAGTAIL_VIDEO", {})
    path = configured.get("TENANCY", DEFAULTS["TENANCY"]) if isinstance(configured, dict) else None
    if not isinstance(path, str) or not path:
        return []  # settings_check reports it
    try:
        tenancy = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f'WAGTAIL_VIDEO["TENANCY"] is {path!r}, which does not import: {exc}',
                hint=f'Correct the dotted path, or leave TENANCY out for the default "{DEFAULTS["TENANCY"]}" '
                "(one organization, Wagtail groups and page permissions).",
                id="video_plugin.E003",
            )
        ]
    if not (isinstance(tenancy, type) and issubclass(tenancy, Tenancy)):
        return [
            Error(
                f'WAGTAIL_VIDEO["TENANCY"] is {path!r}, which is not a subclass of '
                "video_plugin.tenancy.Tenancy.",
                hint="Subclass video_plugin.tenancy.Tenancy (see shop.tenancy.ShopTenancy for a worked "
                "example), or leave TENANCY out for the default.",
                id="video_plugin.E004",
            )
        ]
    return []


def panels_in(panel: Panel) -> Iterator[Panel]:
    """``panel`` and every panel inside it (tabs, rows, field rows…)."""
    yield panel
    for child in getattr(panel, "children", ()):
        yield from panels_in(child)


def video_panel_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E009: each page type that can have a video shows the panel editors generate it with.

    A site that means to generate only on publish or through the job API silences it by id.
    """
    return [
        Error(
            f"{model._meta.label} uses VideoPageMixin but its editor has no VideoPanel, so editors can "
            "neither see nor generate its presenter video.",
            hint=f"Add video_plugin.editor.panels.VideoPanel() to {model.__name__}.content_panels (or to a "
            "tab of its edit_handler); a site that generates only on publish or through the job API lists "
            '"video_plugin.E009" in SILENCED_SYSTEM_CHECKS.',
            obj=model,
            id="video_plugin.E009",
        )
        for model in get_page_models()
        if issubclass(model, VideoPageMixin)
        and not any(isinstance(panel, VideoPanel) for panel in panels_in(model.get_edit_handler()))
    ]


def page_form_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E010: each page type that can have a video keeps the form that refuses other organizations' images."""
    return [
        Error(
            f"{model._meta.label}.base_form_class is {model.base_form_class.__name__}, which does not check "
            "that the page's images belong to its organization.",
            hint=f"Make {model.base_form_class.__name__} subclass "
            "video_plugin.editor.page_form.VideoPageForm (itself a WagtailAdminPageForm), or drop "
            "base_form_class to keep VideoPageMixin's.",
            obj=model,
            id="video_plugin.E010",
        )
        for model in get_page_models()
        if issubclass(model, VideoPageMixin) and not issubclass(model.base_form_class, VideoPageForm)
    ]


CHECKS = (
    required_apps_check,
    broker_check,
    middleware_check,
    autodiscover_check,
    settings_check,
    tenancy_check,
    video_panel_check,
    page_form_check,
)
