"""Error reports mask the passwords inside URLs; the demo runs with debug off."""

from __future__ import annotations

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from shop import demo
from shop.error_reports import UrlCredentialsReporterFilter, mask_url_credentials


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgres://shop:hunter2@db:5432/shop", "postgres://shop:********@db:5432/shop"),
        ("redis://:hunter2@cache:6379/0", "redis://:********@cache:6379/0"),
        ("rediss://hunter2@cache:6380", "rediss://********@cache:6380"),
        (
            "amqp://guest:guest@mq/%2F then https://a:b@c/d",
            "amqp://guest:********@mq/%2F then https://a:********@c/d",
        ),
        ("https://example.com/a@b", "https://example.com/a@b"),  # an @ in the path is no password
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_mask_url_credentials(url, masked):
    assert mask_url_credentials(url) == masked


# Assembled at import so neither the report's source excerpts (this file) nor its frame variables (a bare
# password in a local variable is beyond any filter) hold it whole.
PASSWORD = "-".join(("hunter", "2"))


def test_error_report_masks_url_passwords_in_settings_environment_and_frames(settings):
    redis_url = f"redis://:{PASSWORD}@cache:6379/0"
    database_url = f"postgres://shop:{PASSWORD}@db/shop"
    settings.DEBUG = True  # the debug page, the worst case: settings, META and local variables all shown
    settings.REDIS_URL = redis_url
    settings.DRAMATIQ_BROKER = {"OPTIONS": {"url": redis_url}}
    request = RequestFactory().get("/boom", DATABASE_URL=database_url)

    def connect(url):
        raise ConnectionError("cannot reach the database")

    try:
        connect(database_url)
    except ConnectionError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()

    for report in (html, text):
        assert PASSWORD not in report
    stars = UrlCredentialsReporterFilter.cleansed_substitute
    assert f"DATABASE_URL = 'postgres://shop:{stars}@db/shop'" in text
    assert f"redis://:{stars}@cache:6379/0" in text


def test_demo_runs_with_debug_off_and_a_key_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "DATA", tmp_path)
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    env = demo._demo_environment()
    assert env["DJANGO_DEBUG"] == "0"
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert demo._demo_environment()["DJANGO_SECRET_KEY"] == env["DJANGO_SECRET_KEY"]  # kept across restarts
