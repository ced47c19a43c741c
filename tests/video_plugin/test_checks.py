"""System checks: ``manage.py check`` names what a host got wrong, with the fix, before any request is served.

Each check is tried with the shop's settings overridden. Missing apps are tried in a ``manage.py check``
process of their own: taking an app out of ``INSTALLED_APPS`` inside the test process would re-run every app's
``ready()``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from wagtail.admin.forms.pages import WagtailAdminPageForm

from shop.models import ProductPage
from video_plugin.editor.panels import VideoPanel

REPO = Path(__file__).resolve().parents[2]


def video_plugin_messages() -> list:
    return [message for message in run_checks() if (message.id or "").startswith("video_plugin.")]


def by_id(messages: list) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in messages:
        found.setdefault(message.id, []).append(message)
    return found


def test_the_shops_setup_passes_every_check():
    assert video_plugin_messages() == []


def test_a_site_that_names_no_tenancy_passes_every_check(settings):
    settings.WAGTAIL_VIDEO = {}
    assert video_plugin_messages() == []


def test_a_missing_broker_setting_is_an_error_saying_what_to_set(settings):
    del settings.DRAMATIQ_BROKER
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E002"
    assert "DRAMATIQ_BROKER" in error.msg and "dramatiq_broker(BROKER_URL" in error.hint


def test_a_tenancy_that_does_not_import_is_an_error_naming_the_default(settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "TENANCY": "shop.tenancy.NoSuchTenancy"}
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E003"
    assert "'shop.tenancy.NoSuchTenancy'" in error.msg
    assert "video_plugin.site_tenancy.SiteTenancy" in error.hint


def test_a_tenancy_that_is_not_a_tenancy_subclass_is_an_error(settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "TENANCY": "shop.models.Organization"}
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E004"
    assert "Subclass video_plugin.tenancy.Tenancy" in error.hint


def test_an_unknown_key_is_an_error_suggesting_the_known_one(settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "RENDERR": "hallo2"}
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E005"
    assert "'RENDERR'" in error.msg and "Did you mean 'RENDERER'?" in error.hint


@pytest.mark.parametrize(
    ("key", "value", "fix"),
    [
        ("RENDERER", "sora", "Choose one of still, hallo2"),
        ("MAX_SCRIPT_CHARS", 100_000, "between 1 and 3000"),
        ("COLLECTION", "", "Name the collection"),
        ("DEFAULT_VOICE", "<b>jenny</b>", "write engine:voice"),
        ("TENANCY", None, "Leave it out for the default"),
        ("API_MAX_BODY_BYTES", 1024, "at least 38224, the longest job request"),
    ],
)
def test_a_bad_value_is_an_error_saying_what_to_use(settings, key, value, fix):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, key: value}
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E006"
    assert f'WAGTAIL_VIDEO["{key}"]' in error.msg and fix in error.hint


def test_a_video_page_type_without_the_panel_is_an_error_naming_where_to_add_it(monkeypatch):
    without_panel = [panel for panel in ProductPage.content_panels if not isinstance(panel, VideoPanel)]
    monkeypatch.setattr(ProductPage, "content_panels", without_panel)
    # Wagtail caches each page type's edit handler.
    ProductPage.get_edit_handler.cache_clear()
    try:
        [error] = video_plugin_messages()
    finally:
        monkeypatch.undo()
        ProductPage.get_edit_handler.cache_clear()
    assert error.id == "video_plugin.E009" and error.obj is ProductPage
    assert "ProductPage.content_panels" in error.hint and "SILENCED_SYSTEM_CHECKS" in error.hint
    assert video_plugin_messages() == []


def test_a_video_page_type_whose_form_does_not_check_images_is_an_error(monkeypatch):
    monkeypatch.setattr(ProductPage, "base_form_class", WagtailAdminPageForm)
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E010" and error.obj is ProductPage
    assert "VideoPageForm" in error.hint


def test_manage_py_check_fails_on_a_bad_setting_and_prints_the_fix(settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "RENDERER": "sora"}
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "video_plugin.E006" in str(raised.value) and "Choose one of still, hallo2" in str(raised.value)


def test_a_misconfigured_host_hears_everything_from_manage_py_check_not_a_traceback(tmp_path):
    (tmp_path / "misconfigured_settings.py").write_text(
        textwrap.dedent(
            """
            from shop.settings import *  # noqa: F403

            MISSING = ("wagtail.contrib.settings", "django_dramatiq", "rest_framework")
            INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in MISSING]  # noqa: F405
            del DRAMATIQ_BROKER
            WAGTAIL_VIDEO = {"TENANCY": "nowhere.Tenancy", "RENDERER": "sora", "COLOUR": "red"}
            """
        )
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "misconfigured_settings"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for app in ("wagtail.contrib.settings", "django_dramatiq", "rest_framework"):
        assert f"(video_plugin.E001) '{app}' is not in INSTALLED_APPS" in output
        assert f"HINT: Add '{app}' to INSTALLED_APPS." in output
    for check_id in ("E002", "E003", "E005", "E006"):
        assert f"(video_plugin.{check_id})" in output


def test_a_broker_without_the_retries_middleware_is_an_error_naming_it(settings):
    broker = settings.DRAMATIQ_BROKER
    middleware = [name for name in broker["MIDDLEWARE"] if name != "dramatiq.middleware.Retries"]
    settings.DRAMATIQ_BROKER = {**broker, "MIDDLEWARE": middleware}
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E007"
    assert "'dramatiq.middleware.Retries'" in error.msg and "max_retries" in error.msg


def test_an_events_worker_that_would_load_no_actors_is_an_error(settings):
    settings.DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
    [error] = video_plugin_messages()
    assert error.id == "video_plugin.E008"
    assert "rundramatiq" in error.msg and "['tasks', 'actors']" in error.hint


def test_django_dramatiqs_default_autodiscovery_is_an_error_too(settings):
    del settings.DRAMATIQ_AUTODISCOVER_MODULES
    assert [message.id for message in video_plugin_messages()] == ["video_plugin.E008"]
