"""Batch generation: ``generate_videos`` (missing-only, dry run, errors) and the page listing's bulk action,
both sending at batch priority."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import dramatiq
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gpu_runner.protocol import BATCH_LANE, INTERACTIVE_LANE, PUBLISH_LANE
from shop.models import ProductPage
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


def batch_messages(broker) -> list[dramatiq.Message]:
    return [dramatiq.Message.decode(raw) for raw in broker.queues[BATCH_LANE.queue].queue]


@pytest.fixture
def catalogue(world):
    """acme: the world's lamp plus three products; one already has a current video."""
    index = world.index["acme"]
    pages = [world.product["acme"]] + [
        index.add_child(instance=ProductPage(title=f"Chair {n}", slug=f"chair-{n}", price=Decimal("9")))
        for n in range(3)
    ]
    VideoJob.objects.create(
        organization_id=world.orgs["acme"].pk,
        page=pages[1],
        trigger="editor",
        status="succeeded",
        is_current=True,
        voice="espeak:en-us",
        renderer="still",
    )
    return pages


def run(*args: str) -> str:
    out = StringIO()
    call_command("generate_videos", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_videos_requests_every_page_at_batch_priority(
    catalogue, stub_broker, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("--org", "acme")
    jobs = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH)
    assert sorted(jobs.values_list("page_id", flat=True)) == sorted(page.pk for page in catalogue)
    messages = batch_messages(stub_broker)
    assert sorted(m.kwargs["request"]["job_id"] for m in messages) == sorted(
        jobs.values_list("job_id", flat=True)
    )
    assert {m.actor_name for m in messages} == {BATCH_LANE.actor}
    for lane in (INTERACTIVE_LANE, PUBLISH_LANE):
        assert stub_broker.queues[lane.queue].qsize() == 0, f"batch jobs never use {lane.queue}"
    assert "requested 4 video(s)" in output
    assert not VideoJob.objects.filter(organization_id=world.orgs["bluebird"].pk).exists()


@pytest.mark.django_db
def test_missing_only_skips_pages_with_a_video_and_joins_jobs_in_flight(catalogue, stub_broker):
    in_flight = request_video(catalogue[2], None, VideoJob.Trigger.EDITOR)
    output = run("--org", "acme", "--missing-only")
    batch = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH)
    assert sorted(batch.values_list("page_id", flat=True)) == sorted([catalogue[0].pk, catalogue[3].pk])
    assert VideoJob.objects.get(pk=in_flight.pk).status == VideoJob.Status.QUEUED
    assert "requested 2 video(s); 1 already in flight; 1 skipped with a video" in output


@pytest.mark.django_db
def test_dry_run_sends_and_records_nothing(catalogue, stub_broker):
    output = run("--org", "acme", "--dry-run", "--missing-only")
    assert not VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH).exists()
    assert batch_messages(stub_broker) == []
    assert "would request 3 video(s)" in output
    assert f"would request: page {catalogue[0].pk}" in output


@pytest.mark.django_db
def test_an_unknown_organization_names_the_known_ones(world):
    with pytest.raises(CommandError, match=r"no organization with slug 'nope'; known slugs: acme, bluebird"):
        run("--org", "nope")


@pytest.mark.django_db
def test_a_page_that_cannot_start_is_reported_not_fatal(catalogue, stub_broker, world):
    org = world.orgs["acme"]
    org.default_presenter_image = None
    org.save()
    output = run("--org", "acme")
    assert "requested 0 video(s)" in output and "4 failed at once" in output
    assert "no presenter image" in output


@pytest.mark.django_db
def test_the_bulk_action_generates_for_the_selected_pages(
    catalogue, client, world, stub_broker, django_capture_on_commit_callbacks
):
    client.force_login(world.users[("admin", "acme")])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "generate_videos"))
    query = f"?id={catalogue[0].pk}&id={catalogue[3].pk}&next=/admin/"
    confirm = client.get(url + query)
    assert confirm.status_code == 200
    assert b"Generate videos" in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + query)
    assert response.status_code == 302
    batch = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH)
    assert sorted(batch.values_list("page_id", flat=True)) == sorted([catalogue[0].pk, catalogue[3].pk])
    assert len(batch_messages(stub_broker)) == 2


@pytest.mark.django_db
def test_the_bulk_action_skips_pages_the_user_may_not_generate_for(catalogue, client, world, stub_broker):
    client.force_login(world.users[("admin", "acme")])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "generate_videos"))
    client.post(url + f"?id={world.product['bluebird'].pk}&id={catalogue[0].pk}&next=/admin/")
    assert list(VideoJob.objects.filter(trigger="batch").values_list("page_id", flat=True)) == [
        catalogue[0].pk
    ]
