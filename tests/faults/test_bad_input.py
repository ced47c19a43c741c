"""Bad input sent through the real runner and events worker: each job fails with its own code and a message
that names the fix, the record stays, other jobs go on, and the runner stays up for the next job.

One stack per test: the cases of a test go in together (each on a page of its own, since a page has one job in
flight at a time), then a good job proves the runner still works.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import redis
from django.urls import reverse
from nanoid import generate as nanoid
from PIL import Image

from gpu_runner.protocol import MAX_SCRIPT_CHARS, TOKEN_ALPHABET, TOKEN_LENGTH, ErrorCode, video_key
from gpu_runner.worker import attempt_key
from shop.tenancy import organization_info
from tests.factories import make_presenter
from tests.faults.bad_input import (
    GOOD_SCRIPT,
    assert_failed_and_kept,
    enqueue_render,
    finished,
    jpeg_photo,
    new_page,
    panel_job,
    png_bytes,
    png_declaring,
    push_raw_message,
    render_payload,
    stored_image,
)
from tests.faults.conftest import job_files, video_prefix
from video_plugin.jobs.presenters import file_presenter
from video_plugin.jobs.requests import request_video
from video_plugin.models import ApiToken, VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def queued_job(shop: Any, page: Any, **fields: Any) -> VideoJob:
    """A queued job recorded as the plugin records one, for a raw message that bypasses the plugin."""
    org = shop.orgs["acme"]
    image = org.default_presenter_image
    values = {
        "organization_id": org.pk,
        "page": page,
        "trigger": VideoJob.Trigger.API,
        "script": GOOD_SCRIPT,
        "voice": "espeak:en-us",
        "renderer": "still",
        "image": image,
        "image_key": file_presenter(organization_info(org), image),
        "output_key": video_key(org.pk, page.pk, nanoid(TOKEN_ALPHABET, TOKEN_LENGTH)),
        **fields,
    }
    return VideoJob.objects.create(**values)


def assert_good_job_succeeds(stack: Any, shop: Any, page: Any, script: str = GOOD_SCRIPT) -> VideoJob:
    """A sound job after the bad ones renders, uploads its three files and is attached."""
    job = request_video(page, shop.users[("admin", "acme")], VideoJob.Trigger.EDITOR, script=script)
    done = finished(stack, job)
    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message, stack.tail_logs())
    assert done.media_id is not None
    assert job_files(done) <= stack.keys_under(video_prefix(done))
    return done


# --- images ------------------------------------------------------------------------------------------------

TEXT_NOTES = b"Quarterly notes: reorder the field kettles, ship the lamps on Friday.\n"
IMAGE_CASES = [
    # (file name, stored bytes, code, phrases the message must hold)
    ("truncated.jpg", jpeg_photo()[:1500], ErrorCode.IMAGE_UNREADABLE, ["truncated", "Upload a JPEG or PNG"]),
    (
        "corrupt.png",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        ErrorCode.IMAGE_UNREADABLE,
        ["could not be read as an image", "Upload a JPEG or PNG"],
    ),
    (
        "bomb.png",
        png_declaring(30000, 30000),
        ErrorCode.IMAGE_TOO_LARGE,
        ["900000000 pixels", "at most 40 megapixels"],
    ),
    (
        "enormous.png",
        png_bytes(Image.new("L", (8000, 6000))),
        ErrorCode.IMAGE_TOO_LARGE,
        ["8000×6000 pixels (48 megapixels); the limit is 40 megapixels", "Upload a smaller photo"],
    ),
    ("notes.jpg", TEXT_NOTES, ErrorCode.IMAGE_UNREADABLE, ["whatever its name says", "Upload a JPEG or PNG"]),
]


def test_bad_images_fail_with_their_code_and_the_runner_goes_on(make_stack, shop_after_stack, client):
    """Corrupt, truncated, bomb, enormous and non-image files fail clearly; other jobs and the runner go on"""
    stack = make_stack()
    shop = shop_after_stack()
    admin, acme = shop.users[("admin", "acme")], shop.orgs["acme"]
    jobs = {}
    for index, (filename, data, _, _) in enumerate(IMAGE_CASES):
        image = stored_image(stack, acme.collection, filename, data)
        make_presenter(image, acme.pk)  # a presenter with consent: the image itself is what is bad
        page = new_page(shop, "acme", f"Lamp {index}")
        jobs[filename] = request_video(page, admin, VideoJob.Trigger.EDITOR, script=GOOD_SCRIPT, image=image)
        if index == 1:
            # Another organization's job, queued among the bad ones, is not held up or harmed by them.
            other = request_video(
                shop.product["bluebird"], shop.users[("admin", "bluebird")], VideoJob.Trigger.EDITOR
            )

    for filename, _, code, phrases in IMAGE_CASES:
        job = jobs[filename]
        done = assert_failed_and_kept(stack, job, code, f"'{job.image_key}'", *phrases)
        assert "BytesIO" not in done.error_message  # no Python internals in what an editor reads
        shown = panel_job(client, admin, done.page)
        assert (shown["status"], shown["error_code"], shown["error_message"]) == (
            "failed",
            code,
            done.error_message,
        )
    assert finished(stack, other).status == VideoJob.Status.SUCCEEDED

    assert_good_job_succeeds(stack, shop, shop.product["acme"])
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", len(IMAGE_CASES), 2)
    assert VideoJob.objects.filter(status=VideoJob.Status.FAILED).count() == len(IMAGE_CASES)


# --- scripts and voices ------------------------------------------------------------------------------------

MARKUP_SCRIPT = (
    '<speak><prosody rate="x-fast">Meet the <b>lamp</b>.</prosody></speak>\x07 '
    "It glows\x1b warm\u200b<br/>all night."
)
MARKUP_WORDS = "Meet the lamp. It glows warm all night."
CONTROL_OR_MARKUP = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b]")


def caption_text(vtt: str) -> str:
    """The words of a WebVTT document: every cue line, without the header and the timings."""
    cues = vtt.split("\n\n")[1:]  # the header block ends at its first blank line
    lines = [line for cue in cues for line in cue.splitlines() if line.strip() and "-->" not in line]
    return " ".join(lines)


def read_captions(stack: Any, job: VideoJob) -> str:
    return stack.s3.get_object(Bucket=stack.bucket, Key=job.captions_key)["Body"].read().decode()


def test_bad_scripts_and_voices_from_the_editor_fail_clearly_and_markup_is_stripped(
    make_stack, shop_after_stack, client
):
    """Overlong scripts never leave Django; empty-after-markup scripts and unknown voices fail in the runner;
    markup and control characters are stripped, and the captions hold only the words."""
    stack = make_stack()
    shop = shop_after_stack()
    admin = shop.users[("admin", "acme")]

    overlong = request_video(
        new_page(shop, "acme", "Long"), admin, VideoJob.Trigger.EDITOR, script="word " * 700
    )
    # Refused by the plugin at once: the job is failed before anything is queued.
    assert (overlong.status, overlong.error_code) == (VideoJob.Status.FAILED, ErrorCode.SCRIPT_TOO_LONG)
    assert f"at most {MAX_SCRIPT_CHARS}" in overlong.error_message

    only_markup = request_video(
        new_page(shop, "acme", "Tags"), admin, VideoJob.Trigger.EDITOR, script="<p><b> </b></p>\x07"
    )
    klingon = request_video(
        new_page(shop, "acme", "Voice"),
        admin,
        VideoJob.Trigger.EDITOR,
        script=GOOD_SCRIPT,
        voice="espeak:klingon",
    )
    marked_up = request_video(shop.product["acme"], admin, VideoJob.Trigger.EDITOR, script=MARKUP_SCRIPT)

    assert_failed_and_kept(stack, only_markup, ErrorCode.EMPTY_SCRIPT, "no words to speak")
    assert_failed_and_kept(stack, klingon, ErrorCode.UNKNOWN_VOICE, "'espeak:klingon'", "espeak:en-us")
    assert panel_job(client, admin, klingon.page)["error_code"] == ErrorCode.UNKNOWN_VOICE

    done = finished(stack, marked_up)
    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message)
    captions = read_captions(stack, done)
    assert caption_text(captions) == MARKUP_WORDS
    assert not CONTROL_OR_MARKUP.search(captions.replace(" --> ", " "))

    # The runner never saw the overlong script: it counts every delivery it takes, and has none for it.
    assert not redis.Redis.from_url(stack.redis_url).exists(attempt_key(overlong.job_id))
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", 2, 1)


def test_raw_messages_with_bad_scripts_or_voices_are_refused_by_the_runner(make_stack, shop_after_stack):
    """Without the plugin's checks, the runner itself refuses empty or overlong scripts and unknown voices"""
    stack = make_stack()
    shop = shop_after_stack()
    cases = [
        ({"script": ""}, ErrorCode.EMPTY_SCRIPT, ["no words to speak"]),
        ({"script": " \t\n\x0b"}, ErrorCode.EMPTY_SCRIPT, ["no words to speak"]),
        (
            {"script": "word " * 700},
            ErrorCode.SCRIPT_TOO_LONG,
            ["3500 characters", f"limit is {MAX_SCRIPT_CHARS}"],
        ),
        ({"voice": "espeak:klingon"}, ErrorCode.UNKNOWN_VOICE, ["'espeak:klingon'", "espeak:en-us"]),
        ({"voice": "festival:kal"}, ErrorCode.UNKNOWN_VOICE, ["'festival:kal'", "choose one of"]),
    ]
    jobs = []
    for index, (changes, _, _) in enumerate(cases):
        job = queued_job(shop, new_page(shop, "acme", f"Raw {index}"))
        enqueue_render(request=render_payload(job, **changes))
        jobs.append(job)
    # A NUL byte cannot even be stored in the plugin's database, but a raw message can carry one.
    nul = queued_job(shop, new_page(shop, "acme", "Raw NUL"))
    enqueue_render(request=render_payload(nul, script=MARKUP_SCRIPT.replace("\x1b", "\x00")))

    for job, (_, code, phrases) in zip(jobs, cases, strict=True):
        assert_failed_and_kept(stack, job, code, *phrases)
    done = finished(stack, nul)
    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message)
    assert caption_text(read_captions(stack, done)) == MARKUP_WORDS

    assert_good_job_succeeds(stack, shop, shop.product["acme"])
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", len(cases), 2)


def test_a_nul_byte_is_stripped_from_an_editors_script_and_refused_by_the_api_never_a_database_error(
    world, client, sent_renders, django_capture_on_commit_callbacks
):
    """PostgreSQL text cannot hold a NUL byte. The editor's script loses it (it came from a paste, and the
    words around it are what the editor meant); the API, whose callers are programs, is told with a 400 on
    the ``script`` field. Neither reaches the database with it."""
    acme, bluebird = world.product["acme"], world.product["bluebird"]
    client.force_login(world.users[("admin", "acme")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("video_plugin:generate", args=[acme.pk]),
            json.dumps({"script": "Hi\x00 there."}),
            content_type="application/json",
        )
    assert response.status_code == 202, response.content[:300]
    job = VideoJob.objects.get(page=acme)
    assert (job.script, job.status) == ("Hi there.", VideoJob.Status.QUEUED)
    assert [sent["script"] for sent in sent_renders()] == ["Hi there."]

    _, token = ApiToken.issue(world.orgs["bluebird"].pk, "bluebird automation")
    response = client.post(
        "/api/video/v1/jobs/",
        json.dumps({"page": bluebird.pk, "script": "Hi\x00 there."}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["script"]
    assert not VideoJob.objects.filter(page=bluebird).exists()


# --- malformed messages ------------------------------------------------------------------------------------


def test_malformed_messages_are_rejected_logged_and_reported_when_they_name_a_job(
    make_stack, shop_after_stack
):
    """Malformed or unknown-version messages are logged and dropped, reported ``bad_message`` when they
    carry a job id, and the runner takes the next job."""
    stack = make_stack()
    shop = shop_after_stack()
    missing = queued_job(shop, new_page(shop, "acme", "Missing"))
    wrong_type = queued_job(shop, new_page(shop, "acme", "Wrong type"))
    future = queued_job(shop, new_page(shop, "acme", "Future"))
    client = redis.Redis.from_url(stack.redis_url)

    enqueue_render(request="render the lamp video, please")  # kwargs of the right name, not an object
    enqueue_render([1, 2, 3])  # a positional list instead of the request
    push_raw_message(client, b"\x00\xff{not json at all")  # not even a Dramatiq message
    push_raw_message(client, {"args": [], "kwargs": ["not", "a", "mapping"]})  # kwargs that are no mapping
    enqueue_render(request={"v": 1, "job_id": missing.job_id})
    enqueue_render(request=render_payload(wrong_type, page_id="seven"))
    enqueue_render(request=render_payload(future, v=2))

    assert_failed_and_kept(
        stack, missing, ErrorCode.BAD_MESSAGE, "malformed", "missing field 'organization_id'"
    )
    assert_failed_and_kept(stack, wrong_type, ErrorCode.BAD_MESSAGE, "field 'page_id'", "got str")
    assert_failed_and_kept(stack, future, ErrorCode.BAD_MESSAGE, "unsupported message version 2", "v1")

    assert_good_job_succeeds(stack, shop, shop.product["acme"])
    log = (stack.logs / "runner.log").read_text()
    assert log.count("rejected render_video message (job unknown)") == 2
    assert "message must be a JSON object, got str" in log and "got list" in log
    for job in (missing, wrong_type, future):
        assert f"rejected render_video message (job {job.job_id})" in log
    # Dramatiq itself logs and drops what it cannot decode or call; the consumer restarts and goes on.
    assert "Consumer encountered an unexpected error" in log and "DecodeError" in log
    assert "argument after ** must be a mapping" in log
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", 3, 1)


# --- audio length ------------------------------------------------------------------------------------------

LONG_SCRIPT = (
    "Meet the field kettle. It boils a litre in four minutes, packs flat for the trail, "
    "and its handle stays cool in your hand."
)


def test_speech_over_the_audio_limit_fails_audio_too_long(make_stack, shop_after_stack, client):
    """Speech over ``GPU_RUNNER_MAX_AUDIO_SECONDS`` fails ``audio_too_long`` after TTS, before rendering."""
    stack = make_stack(GPU_RUNNER_MAX_AUDIO_SECONDS="2")
    shop = shop_after_stack()
    admin = shop.users[("admin", "acme")]
    job = request_video(
        new_page(shop, "acme", "Talkative"), admin, VideoJob.Trigger.EDITOR, script=LONG_SCRIPT
    )

    done = assert_failed_and_kept(
        stack, job, ErrorCode.AUDIO_TOO_LONG, "the limit is 2 s", "Shorten the script"
    )
    assert set(done.timings) == {"tts"}  # refused once voiced, before any frame was rendered
    assert panel_job(client, admin, done.page)["error_code"] == ErrorCode.AUDIO_TOO_LONG

    assert_good_job_succeeds(stack, shop, shop.product["acme"], script="Hi.")
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", 1, 1)
