"""The AI label in the page's language: a brand kit without a wording of its own labels each translation's
video in that translation's language, a kit's wording labels every video, and a language without a label gets
the English one with a note saying so. Every label fits the contract and the runner's fonts draw it."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from wagtail.models import Locale

from gpu_runner.protocol import DEFAULT_DISCLOSURE_TEXT, MAX_DISCLOSURE_CHARS, RenderRequest
from gpu_runner.scene.fonts import font_chain
from tests.video_plugin.conftest import publish_runner
from tests.video_plugin.test_brand import BASE, kit_form
from video_plugin.models import BrandKit, VideoJob
from video_plugin.public.disclosure import LABELS, label_in

pytestmark = pytest.mark.django_db
VOICES = {
    "en": ["espeak:en-us"],
    "de": ["edge:de-DE-KatjaNeural"],
    "ja": ["edge:ja-JP-NanamiNeural"],
    "sw": ["edge:sw-KE-ZuriNeural"],
}


@pytest.fixture
def translating(settings: Any, redis: Any) -> None:
    """Wagtail i18n on in English, German, Japanese and Swahili (which has no label), and a runner that
    voices them all."""
    settings.WAGTAIL_I18N_ENABLED = True
    settings.LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES = [
        ("en", "English"),
        ("de", "German"),
        ("ja", "Japanese"),
        ("sw", "Swahili"),
    ]
    publish_runner(redis, VOICES)


def translation(page: Any, language: str) -> Any:
    """``page`` copied into ``language``'s locale (its index page too), with a script of its own."""
    if language == "en":
        return page
    locale = Locale.objects.get_or_create(language_code=language)[0]
    copy = page.copy_for_translation(locale, copy_parents=True).specific
    copy.video_script = f"A script in {language}."
    copy.save()
    return copy


def label_notes(job: VideoJob) -> list[str]:
    return [note for note in job.fallbacks if "AI label" in note]


def test_each_translations_video_is_labelled_in_its_own_language(world, translating, ask, sent_renders):
    acme = world.product["acme"]

    jobs = {
        language: ask(translation(acme, language), VideoJob.Trigger.PUBLISH)
        for language in ("en", "de", "ja")
    }

    assert {language: job.status for language, job in jobs.items()} == dict.fromkeys(
        jobs, VideoJob.Status.QUEUED
    )
    labels = {language: job.disclosure["text"] for language, job in jobs.items()}
    assert labels == {"en": DEFAULT_DISCLOSURE_TEXT, "de": "KI-generiert", "ja": "AI生成"}
    # What the runner is asked to draw is the job's label, and no job notes a missing wording.
    sent = {RenderRequest.from_dict(request).disclosure.text for request in sent_renders()}
    assert sent == set(labels.values())
    assert not any(label_notes(job) for job in jobs.values())


def test_a_brand_kits_own_wording_labels_every_language(world, translating, ask):
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, disclosure_text="Made with AI")
    acme = world.product["acme"]

    jobs = [ask(translation(acme, language), VideoJob.Trigger.PUBLISH) for language in ("en", "de", "sw")]

    assert [job.disclosure["text"] for job in jobs] == ["Made with AI"] * 3
    assert not any(label_notes(job) for job in jobs)


def test_a_language_without_a_label_gets_the_english_one_and_the_job_says_so(world, translating, ask):
    job = ask(translation(world.product["acme"], "sw"), VideoJob.Trigger.PUBLISH)

    assert job.status == VideoJob.Status.QUEUED
    assert job.disclosure == {"text": DEFAULT_DISCLOSURE_TEXT, "position": "top_left", "enabled": True}
    assert label_notes(job) == [
        "the AI label is in English: there is no Swahili wording for it; set the label's wording in the "
        "brand kit"
    ]


def test_a_label_turned_off_is_not_noted_missing(world, translating, ask):
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, disclosure_enabled=False)

    job = ask(translation(world.product["acme"], "sw"), VideoJob.Trigger.PUBLISH)

    assert job.disclosure["enabled"] is False
    assert label_notes(job) == []


def test_a_region_reads_its_languages_label():
    assert (label_in("pt-br"), label_in("de-AT"), label_in("zh-hant")) == (
        "Gerado por IA",
        "KI-generiert",
        "AI生成",
    )
    assert label_in("sw") is None


@pytest.mark.parametrize("language", sorted(LABELS))
def test_every_label_fits_the_contract_and_the_runners_fonts_draw_it(language):
    label = LABELS[language]
    assert 0 < len(label) <= MAX_DISCLOSURE_CHARS
    faces = font_chain("noto-sans", bold=True)  # the label is drawn bold
    undrawn = [character for character in label if not any(face.covers(character) for face in faces)]
    assert undrawn == [], f"no bundled font draws {undrawn} of the {language} label"


def test_the_brand_kit_form_left_empty_labels_each_page_in_its_language(client, world):
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk, disclosure_text="Made with AI")
    client.force_login(world.users[("owner", "acme")])

    saved = client.post(f"{BASE}/edit/{kit.pk}/", kit_form(disclosure_enabled="on", disclosure_text="  "))

    assert saved.status_code == 302
    kit.refresh_from_db()
    assert kit.disclosure_text == ""


def test_kits_that_kept_the_old_default_wording_follow_the_page_language_after_migrating(world):
    migration = import_module("video_plugin.migrations.0010_brand_kit_label_per_language")
    default = BrandKit.objects.create(organization_id=world.orgs["acme"].pk, disclosure_text="AI-generated")
    own = BrandKit.objects.create(organization_id=world.orgs["bluebird"].pk, disclosure_text="Made with AI")

    migration.label_in_page_language(apps, None)

    default.refresh_from_db()
    own.refresh_from_db()
    assert (default.disclosure_text, own.disclosure_text) == ("", "Made with AI")
