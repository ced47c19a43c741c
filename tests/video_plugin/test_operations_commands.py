"""The deploy-time checks the compose services run: storage usable (bucket created), events worker healthy."""

from __future__ import annotations

import io
import subprocess
import sys

import boto3
import dramatiq
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from dramatiq.brokers.redis import RedisBroker

from tests.services import moto_server
from video_plugin.jobs.storage import storage_backend


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


def test_storage_check_writes_and_reads_the_local_folder(video_storage):
    out = io.StringIO()
    call_command("check_video_storage", stdout=out)
    assert "video storage OK: local" in out.getvalue()
    assert not any(video_storage.rglob("*.txt")), "the probe object is removed again"


def test_storage_check_works_on_a_host_that_configures_storages_itself(settings, video_storage):
    # A site set up from the README has a MEDIA_ROOT and no VIDEO_STORAGE_URL.
    del settings.VIDEO_STORAGE_URL
    out = io.StringIO()
    call_command("check_video_storage", stdout=out)
    assert f"video storage OK: local {video_storage}" in out.getvalue()


def test_storage_check_creates_a_missing_bucket(settings, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    url = f"s3://fresh-bucket?endpoint={s3_endpoint}&region=auto"
    settings.VIDEO_STORAGE_URL = url
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(url)}

    with pytest.raises(CommandError, match="fresh-bucket"):
        call_command("check_video_storage", stdout=io.StringIO())
    call_command("check_video_storage", "--create-bucket", stdout=io.StringIO())
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    assert "fresh-bucket" in [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]


def test_events_worker_check_fails_without_a_worker_process():
    with pytest.raises(CommandError, match="rundramatiq"):
        call_command("check_events_worker", stdout=io.StringIO())


@pytest.mark.django_db
def test_events_worker_check_passes_while_a_worker_runs(monkeypatch):
    # A stand-in process with the worker's command line: the check reads /proc, it does not import the worker.
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "rundramatiq", "--queues", "video-events"]
    )
    try:
        monkeypatch.setattr(dramatiq, "get_broker", lambda: RedisBroker(url="redis://127.0.0.1:6379/15"))
        out = io.StringIO()
        call_command("check_events_worker", stdout=out)
        assert "healthy" in out.getvalue()
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
