"""A plain Wagtail site adopts the plugin by following the README, and makes videos.

From the built wheels only: ``wagtail start`` makes a new project in a venv holding the plugin's and the
contract's wheels; the README's "Add to an existing Wagtail site" blocks are applied to it as written; it is
migrated on PostgreSQL; and its web server, its events worker and a runner (from the runner's wheel, in a venv
of its own) run as separate processes on loopback, sharing one Redis database and the project's
``MEDIA_ROOT``. Then people use it as they would: an editor generates a video in the page editor, a moderator
publishes a page and the site's setting makes its video, the headless API serves both, and the MP4s decode.
Nothing of the checkout's is imported by the host's processes.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import av
import pytest
import redis

from tests.packaging.conftest import Venv, Wheels, make_venv
from tests.packaging.host_site import (
    COMMANDS,
    GRANT,
    Browser,
    Database,
    Processes,
    Project,
    clean_environment,
    data_attribute,
    parse_forms,
    readme_section,
    readme_snippets,
)
from tests.services import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT = "hostsite"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/aivideo"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
# Booting imports PyAV and the espeak-ng library; two busy cores make that slow.
BOOT_TIMEOUT_S = 120
# A still render of a few seconds of speech takes seconds; the margin is for a loaded CI machine.
JOB_TIMEOUT_S = 240
PRESENTER_VOICE = "espeak:en-us"
EDITOR_SCRIPT = "Meet the trail lantern. It lights a whole camp for three nights on one charge."

# Who is who on the site: Wagtail's own groups, as `wagtail start` migrates them. Editors may edit pages
# (and are granted the plugin's permission by the README's block); Moderators may also publish, not generate.
USERS = {"editor": "Editors", "moderator": "Moderators"}

# Test-only settings, after the README's: the test's database, and the plugin's log lines in the worker's log.
TEST_SETTINGS = """
# --- the test's own, not the README's ---
{database}
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
    "loggers": {{"video_plugin": {{"level": "INFO"}}}},
}}
"""

# The site's content: users in Wagtail's groups, a presenter photo and its consent form, one published page
# and one draft.
SETUP = """
import io, json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from PIL import Image as PILImage, ImageDraw
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Site
from home.models import ProductPage

User = get_user_model()
User.objects.create_superuser("admin", "admin@example.com", "pw-admin")
for name, group in {users!r}.items():
    user = User.objects.create_user(name, f"{{name}}@example.com", f"pw-{{name}}")
    user.groups.add(Group.objects.get(name=group))

buffer = io.BytesIO()
picture = PILImage.new("RGB", (256, 256), (90, 120, 160))
ImageDraw.Draw(picture).ellipse((64, 40, 192, 210), fill=(224, 180, 150))
picture.save(buffer, format="PNG")
image = get_image_model()(title="Presenter")
image.file = ImageFile(buffer, name="presenter.png")
image.save()
# The presenter's signed consent form, uploaded as a document (the admin records it in Settings → Presenters).
consent_form = get_document_model()(title="Consent form, Pat")
consent_form.file.save("consent-pat.pdf", ContentFile(b"%PDF-1.4 signed consent form %%EOF"), save=True)

home = Site.objects.get(is_default_site=True).root_page
lantern = home.add_child(instance=ProductPage(
    title="Trail Lantern", slug="trail-lantern", description="<p>A lantern for long nights outdoors.</p>"
))
lantern.save_revision().publish()
kettle = home.add_child(instance=ProductPage(
    title="Field Kettle", slug="field-kettle", live=False,
    description="<p>A folding kettle that boils a litre in four minutes.</p>",
))
kettle.save_revision()
ids = {{"image": image.pk, "consent_form": consent_form.pk, "lantern": lantern.pk, "kettle": kettle.pk}}
print(json.dumps(ids))
"""

# What the database says about the jobs at the end: who asked, how, and where each video was filed.
JOBS = """
import json
from video_plugin.models import VideoJob
print(json.dumps([
    {
        "page": job.page_id,
        "trigger": job.trigger,
        "status": job.status,
        "is_current": job.is_current,
        "requested_by": job.requested_by.username if job.requested_by else None,
        "collection": job.media.collection.name if job.media else None,
        "file": job.media.file.name if job.media else None,
    }
    for job in VideoJob.objects.select_related("media__collection", "requested_by").order_by("pk")
]))
"""


@pytest.fixture(scope="session")
def host_venv(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A site's environment: the plugin's and the contract's wheels, and PostgreSQL's driver."""
    venv = make_venv(tmp_path_factory.mktemp("host") / "venv")
    venv.pip_install(wheels.plugin, wheels.protocol, "psycopg[binary]")
    return venv


@pytest.fixture
def host_database() -> Iterator[Database]:
    """An empty PostgreSQL database of this test's own, beside ``DATABASE_URL``'s, dropped afterwards."""
    database = Database.beside(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "_host")
    database.recreate()
    yield database
    database.drop()


@pytest.fixture
def host_redis_url() -> str:
    """``REDIS_URL``'s database, emptied, so no message of an earlier run reaches this site's processes."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is unreachable ({exc}); start it or set REDIS_URL")
    return url


def answers(url: str) -> bool:
    """Whether ``url`` answers 2xx right now."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            # Read to the end: a probe that hangs up first makes the server log a broken pipe.
            response.read()
            return True
    except OSError:
        return False


def decoded(mp4: bytes) -> dict[str, Any]:
    """What PyAV makes of an MP4: the streams' codecs, frames decoded, seconds of video and of sound."""
    with av.open(io.BytesIO(mp4)) as container:
        assert container.streams.video and container.streams.audio, "the MP4 lacks a video or an audio stream"
        video, audio = container.streams.video[0], container.streams.audio[0]
        codecs = (video.codec_context.name, audio.codec_context.name)
        frames = [frame for frame in container.decode(video=0)]
        size = (frames[0].width, frames[0].height) if frames else (0, 0)
        seconds = float(frames[-1].time or 0) if frames else 0.0
        container.seek(0)
        samples = sum(frame.samples for frame in container.decode(audio=0))
        return {
            "codecs": codecs,
            "frames": len(frames),
            "size": size,
            "video_seconds": seconds,
            "audio_seconds": samples / audio.codec_context.sample_rate,
        }


def test_a_site_from_wagtail_start_follows_the_readme_and_makes_videos(
    host_venv: Venv, runner_venv: Venv, tmp_path: Path, host_database: Database, host_redis_url: str
) -> None:
    section = readme_section()
    snippets = readme_snippets(section)
    for command in COMMANDS:
        assert command in section, f"the README's steps no longer say {command!r}"

    # --- the project, set up as the README says -----------------------------------------------------------
    root = tmp_path / "site"
    root.mkdir()
    env = clean_environment(PATH=f"{host_venv.root / 'bin'}:{os.environ['PATH']}", REDIS_URL=host_redis_url)
    host_venv.run(host_venv.bin("wagtail"), "start", PROJECT, root, cwd=tmp_path)
    project = Project(root, PROJECT, host_venv, env)
    project.apply_readme(snippets, TEST_SETTINGS.format(database=host_database.django_settings()))
    project.manage("makemigrations")
    project.manage("migrate")
    # A plain site that follows the README passes the plugin's checks (and Wagtail's) without a warning.
    project.manage("check", "--fail-level", "WARNING")

    ids = project.shell(SETUP.format(users=USERS))
    project.shell(snippets[GRANT])

    # --- its processes -----------------------------------------------------------------------------------
    processes = Processes(tmp_path / "logs")
    try:
        health_port, web_port = free_port(), free_port()
        # The runner's own folder: a GPU host has no copy of the site, and the checkout must not stand in
        # for what the runner's wheel installed.
        runner_home = tmp_path / "runner"
        runner_home.mkdir()
        subprocess.run(
            [runner_venv.bin("gpu-runner"), "make-demo-chain", "c2pa"],
            cwd=runner_home,
            env=clean_environment(),
            check=True,
            capture_output=True,
        )
        processes.start(
            "runner",
            [runner_venv.bin("gpu-runner"), "serve"],
            cwd=runner_home,
            env=clean_environment(
                GPU_RUNNER_C2PA_CERT="c2pa/c2pa-chain.pem",
                GPU_RUNNER_C2PA_KEY="c2pa/c2pa-signer.key",
                REDIS_URL=host_redis_url,
                VIDEO_STORAGE_URL=str(project.media_root),
                GPU_RUNNER_RENDERER="still",
                GPU_RUNNER_HEALTH_HOST="127.0.0.1",
                GPU_RUNNER_HEALTH_PORT=str(health_port),
            ),
        )
        processes.start(
            "events",
            [host_venv.python, "manage.py", "rundramatiq", "--queues", "video-events", "-p", "1", "-t", "1"],
            cwd=root,
            env=env,
        )
        processes.start(
            "web",
            [host_venv.python, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
            cwd=root,
            env=env,
        )
        base = f"http://127.0.0.1:{web_port}"
        processes.wait_for(
            lambda: answers(f"http://127.0.0.1:{health_port}/health"), BOOT_TIMEOUT_S, "runner up"
        )
        processes.wait_for(lambda: answers(f"{base}/admin/login/"), BOOT_TIMEOUT_S, "site up")

        run_scenario(processes, project, base, ids, tmp_path)
    except BaseException as failure:
        # A failed wait has the logs in its message already; any other failure gets them here.
        if not isinstance(failure, pytest.fail.Exception):
            print(processes.tail_logs())
        raise
    finally:
        processes.stop_all()


def run_scenario(
    processes: Processes, project: Project, base: str, ids: dict[str, int], tmp_path: Path
) -> None:
    """What people do on the running site, and what they see."""
    lantern, kettle = ids["lantern"], ids["kettle"]

    # An administrator records who presents, with their signed consent, in Settings → Presenters.
    admin = Browser(base)
    admin.log_in("admin", "pw-admin")
    added = admin.submit(
        "/admin/presenters/new/", "name", {"name": "Pat", "photo": str(ids["image"]), "kind": "person"}
    )
    assert added.status_code == 302, f"the presenter was not saved: {added.status_code}\n{added.text[:3000]}"
    presenter_id = re.search(r"/presenters/(?:inspect/)?(\d+)/", added.headers["Location"]).group(1)
    consented = admin.submit(
        f"/admin/presenters/{presenter_id}/consent/new/",
        "consented_by",
        {
            "consented_by": "Pat Example",
            "valid_from": (date.today() - timedelta(days=7)).isoformat(),
            "evidence": str(ids["consent_form"]),
        },
    )
    assert consented.status_code == 302, f"consent was not recorded: {consented.text[:3000]}"

    # Then picks the presenter's photo and switches on videos on publish, in Settings → Presenter videos.
    saved = admin.submit(
        "/admin/settings/video_plugin/videositesettings/",
        "default_voice",
        {
            "default_presenter_image": str(ids["image"]),
            "default_voice": PRESENTER_VOICE,
            "auto_generate_on_publish": "on",
            # Editors' videos go live when ready on this site, rather than with the page's next publish.
            "editor_videos_live_at_once": "on",
        },
    )
    assert saved.status_code == 302, (
        f"the site settings were not saved: {saved.status_code}\n{saved.text[:3000]}"
    )

    # (a) An editor, whose group has the plugin's permission and Wagtail's page edit permission, generates a
    # video from the panel in the page editor, sending what the panel's controller sends.
    editor = Browser(base)
    editor.log_in("editor", "pw-editor")
    panel = editor.get(f"/admin/pages/{lantern}/edit/")
    assert panel.status_code == 200, panel.status_code
    assert data_attribute(panel.text, "data-aivideo-panel-can-generate-value") == "true"
    generate_url = data_attribute(panel.text, "data-aivideo-panel-generate-url-value")
    status_url = data_attribute(panel.text, "data-aivideo-panel-status-url-value")
    csrf_token = data_attribute(panel.text, "data-aivideo-panel-csrf-token-value")
    presenter = dict(parse_forms(panel.text)["video-panel-detached"].fields)["video_panel_presenter"]
    assert presenter == str(ids["image"]), "the panel does not preset the site's default presenter"
    payload = {"script": EDITOR_SCRIPT, "voice": PRESENTER_VOICE, "image_id": presenter}
    asked = editor.post_json(generate_url, payload, csrf_token)
    assert asked.status_code == 202, f"{asked.status_code} {asked.text[:2000]}"
    job = finished_job(processes, editor, status_url, asked.json()["job"]["job_id"])
    assert job["status"] == "succeeded", job
    assert job["is_current"] and job["playback"]["video_url"], job
    assert (job["voice_used"], job["renderer_used"]) == (PRESENTER_VOICE, "still"), job

    # (e) A moderator may edit the page but lacks the permission: the panel offers no button, and the
    # generate view refuses them.
    moderator = Browser(base)
    moderator.log_in("moderator", "pw-moderator")
    panel = moderator.get(f"/admin/pages/{lantern}/edit/")
    assert data_attribute(panel.text, "data-aivideo-panel-can-generate-value") == "false"
    refused = moderator.post_json(
        generate_url, payload, data_attribute(panel.text, "data-aivideo-panel-csrf-token-value")
    )
    assert refused.status_code == 403, f"{refused.status_code} {refused.text[:2000]}"
    assert "generate" in refused.json()["error"]

    # (b) The moderator publishes the draft in the page editor; the site setting makes its video.
    published = moderator.submit(f"/admin/pages/{kettle}/edit/", "title", {}, button="action-publish")
    assert published.status_code == 302, (
        f"publishing failed: {published.status_code}\n{published.text[:3000]}"
    )
    kettle_panel = moderator.get(f"/admin/pages/{kettle}/edit/")
    kettle_status = data_attribute(kettle_panel.text, "data-aivideo-panel-status-url-value")
    publish_job = processes.wait_for(
        lambda: moderator.get(kettle_status).json()["job"], JOB_TIMEOUT_S, "no job after publishing"
    )
    publish_job = finished_job(processes, moderator, kettle_status, publish_job["job_id"])
    assert publish_job["status"] == "succeeded" and publish_job["is_current"], publish_job

    # Two jobs and no more: publishing the lantern while the setting was off (in the setup) made none.
    rows = project.shell(JOBS)
    jobs = {job["page"]: job for job in rows}
    assert len(rows) == 2 and set(jobs) == {lantern, kettle}, rows
    assert (jobs[lantern]["trigger"], jobs[lantern]["requested_by"]) == ("editor", "editor")
    assert (jobs[kettle]["trigger"], jobs[kettle]["requested_by"]) == ("publish", "moderator")
    for job in jobs.values():
        # Filed in the collection the plugin made, under the one organization's prefix, in MEDIA_ROOT.
        assert job["collection"] == "Presenter videos", job
        assert job["file"].startswith(f"1/videos/ai-generated/{job['page']}-"), job
        assert (project.media_root / job["file"]).is_file(), job

    # (c) The headless API serves each page's video, to anyone, and (d) each URL serves an MP4 that decodes.
    anonymous = Browser(base)
    listing = anonymous.get("/api/v2/pages/", params={"type": "home.ProductPage", "fields": "ai_video"})
    assert listing.status_code == 200, listing.text[:2000]
    assert {item["id"] for item in listing.json()["items"] if item["ai_video"]} == {lantern, kettle}
    videos = {}
    for page_id in (lantern, kettle):
        detail = anonymous.get(f"/api/v2/pages/{page_id}/")
        assert detail.status_code == 200, detail.text[:2000]
        ai_video = detail.json()["ai_video"]
        assert ai_video["url"] == f"{base}/media/{jobs[page_id]['file']}", ai_video
        assert ai_video["mime_type"] == "video/mp4" and ai_video["duration"] > 0, ai_video
        download = anonymous.get(ai_video["url"])
        assert download.status_code == 200, download.status_code
        (tmp_path / f"page-{page_id}.mp4").write_bytes(download.content)
        video = decoded(download.content)
        assert video["codecs"] == ("h264", "aac"), video
        assert video["frames"] > 0 and video["size"] == (ai_video["width"], ai_video["height"]), video
        assert video["video_seconds"] > 0 and video["audio_seconds"] > 0.5, video
        assert abs(video["audio_seconds"] - ai_video["duration"]) < 0.5, (video, ai_video)
        videos[page_id] = video
    print(f"host site: jobs {json.dumps(rows)}\nvideos {json.dumps(videos)}")


def finished_job(processes: Processes, browser: Browser, status_url: str, job_id: str) -> dict[str, Any]:
    """Poll the panel's status view, as the panel does, until the job ``job_id`` has finished."""

    def finished() -> dict[str, Any] | None:
        answer = browser.get(status_url)
        assert answer.status_code == 200, f"{answer.status_code} {answer.text[:1000]}"
        job = answer.json()["job"]
        assert job and job["job_id"] == job_id, f"the panel shows another job: {job}"
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return processes.wait_for(finished, JOB_TIMEOUT_S, f"job {job_id} did not finish")
