"""Presenter photos with no face or several faces, sent through a real Hallo2 runner (tiny random-weight
models on the CPU): refused in the face stage, before any diffusion work, and the runner renders the next job.
"""

from __future__ import annotations

import time
from pathlib import Path

import insightface
import pytest
from PIL import Image

from gpu_runner.protocol import ErrorCode
from tests.factories import make_presenter
from tests.faults.bad_input import (
    GOOD_SCRIPT,
    assert_failed_and_kept,
    finished,
    new_page,
    panel_job,
    png_bytes,
    stored_image,
)
from tests.gpu_runner.hallo2 import tiny_models
from tests.stack import RUNNER_BOOT_TIMEOUT_S
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A group photo shipped inside the insightface wheel: six people, all facing the camera.
# The Hallo2 tests' session fixtures: the tiny models directory (built once) and a one-face portrait.
tiny_models_dir = tiny_models.tiny_models_dir
presenter_image = tiny_models.presenter_image

GROUP_PHOTO = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"


def test_no_face_and_several_faces_are_refused_before_rendering_and_the_runner_goes_on(
    make_stack,
    shop_after_stack,
    settings,
    tiny_models_dir,
    presenter_image,
    client,
):
    """A photo with no face fails ``no_face``, a group photo ``several_faces``, with no render time spent."""
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "RENDERER": "hallo2"}
    stack = make_stack(runner=False)
    booted = time.monotonic()
    stack.start_runner(
        GPU_RUNNER_RENDERER="hallo2", GPU_RUNNER_DEVICE="cpu", HALLO_MODELS_DIR=str(tiny_models_dir)
    )
    stack.wait_for(
        lambda: stack.runner_state()["status"] == "ready",
        RUNNER_BOOT_TIMEOUT_S,
        "the hallo2 runner was not ready",
    )
    print(f"hallo2 runner (tiny models, CPU) ready {time.monotonic() - booted:.1f} s after start")

    shop = shop_after_stack()
    admin, acme = shop.users[("admin", "acme")], shop.orgs["acme"]
    landscape = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    cases = [
        ("landscape.png", png_bytes(landscape), ErrorCode.NO_FACE, ["no face found", "fills about half"]),
        ("group.jpg", GROUP_PHOTO.read_bytes(), ErrorCode.SEVERAL_FACES, ["faces found", "exactly one"]),
    ]
    jobs = []
    for filename, data, _, _ in cases:
        image = stored_image(stack, acme.collection, filename, data)
        make_presenter(image, acme.pk)  # a presenter with consent: the face itself is what is wrong
        page = new_page(shop, "acme", filename)
        jobs.append(request_video(page, admin, VideoJob.Trigger.EDITOR, script=GOOD_SCRIPT, image=image))

    for job, (_, _, code, phrases) in zip(jobs, cases, strict=True):
        done = assert_failed_and_kept(stack, job, code, *phrases)
        assert done.renderer == done.renderer_used == "hallo2"
        # The failure carries the stages reached: the voice and the face, never the diffusion loop.
        assert set(done.timings) == {"tts", "face"}, done.timings
        assert panel_job(client, admin, done.page)["error_code"] == code

    face = stored_image(stack, acme.collection, "astronaut.png", png_bytes(presenter_image))
    make_presenter(face, acme.pk)
    good = request_video(shop.product["acme"], admin, VideoJob.Trigger.EDITOR, script="Hi.", image=face)
    done = finished(stack, good)
    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message, stack.tail_logs())
    assert {"face", "render"} <= set(done.timings)
    state = stack.runner_state()
    assert (state["status"], state["jobs_failed"], state["jobs_done"]) == ("ready", 2, 1)
