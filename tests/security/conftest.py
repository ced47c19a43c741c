"""Fixtures for the security tests: the three outsiders every claim is tried against, and finished videos.

The shop of ``tests.conftest.ShopWorld`` has two organizations, acme and bluebird. Each claim is tried, for a
resource of acme, by:

- ``other_org_owner`` / ``other_org_admin``: the owner and admin of bluebird (full rights, elsewhere);
- ``editor``: acme's editor (a member, but without the right to generate);
- ``anonymous``: nobody logged in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gpu_runner.protocol import captions_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

OUTSIDERS = ("other_org_owner", "other_org_admin", "anonymous")
# Who tries what an owner or admin of acme may do.
NOT_ALLOWED_TO_CHANGE = (*OUTSIDERS, "editor")


def actor_user(world: Any, actor: str) -> Any:
    """The user behind an actor name (``None`` for ``anonymous``)."""
    return {
        "owner": world.users[("owner", "acme")],
        "admin": world.users[("admin", "acme")],
        "editor": world.users[("editor", "acme")],
        "other_org_owner": world.users[("owner", "bluebird")],
        "other_org_admin": world.users[("admin", "bluebird")],
        "anonymous": None,
    }[actor]


def client_as(world: Any, actor: str, enforce_csrf: bool = False) -> Client:
    """A test client logged in as the actor; ``enforce_csrf`` makes it send no CSRF token, as an attacker's
    page would."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    user = actor_user(world, actor)
    if user is not None:
        client.force_login(user)
    return client


def finish(job: VideoJob) -> VideoJob:
    """Mark a queued job succeeded and attach its video, as the events worker does for a runner's report."""
    result = still_render_result(job.output_key, captions_key=captions_key(job.output_key))
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, result)
    job.refresh_from_db()
    return job


def finished_video(page: Any) -> VideoJob:
    """A succeeded job with its Media, current for ``page``."""
    return finish(request_video(page, None, VideoJob.Trigger.EDITOR))


@pytest.fixture
def acme_video(world: Any) -> VideoJob:
    return finished_video(world.product["acme"])


@pytest.fixture
def acme_queued_job(world: Any) -> VideoJob:
    """A job of acme still in flight (the stub broker never runs it)."""
    return request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR)
