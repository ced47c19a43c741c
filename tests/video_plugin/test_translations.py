"""A video per translation (Wagtail i18n): each locale's product page is a page of its own with its own job,
script and video; "Generate for all translations" (panel, bulk action, ``generate_videos --all-locales``)
queues one batch job per locale; publishing a translation renders only its own; a translation deleted
mid-render leaves nothing behind and spoils no other locale's video."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.models import Locale
from wagtailmedia import get_media_model

from gpu_runner.protocol import BATCH_LANE, INTERACTIVE_LANE, PUBLISH_LANE
from shop.models import Organization
from tests.video_plugin.test_api import api_host, give_video, page_json  # noqa: F401 (api_host: a fixture)
from tests.video_plugin.test_lifecycle import succeeded
from video_plugin.editor import translation_views
from video_plugin.editor.bulk_actions import GenerateVideosForTranslationsBulkAction
from video_plugin.jobs.batch import generate_videos
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.models import BrandKit, VideoJob
from video_plugin.tenancy import get_tenancy

TRANSLATED_TITLES = {"de": "Acme Lampe", "ja": "アクメランプ"}
# The brand kit's voice for each language (the organization's default, espeak:en-us, reads English).
VOICES = {"de": "espeak:de", "ja": "espeak:ja"}


def quietly_published(page) -> None:
    """Publish without the organization's auto-generate: the fixtures set the scene, the tests make jobs."""
    organization = Organization.objects.get(pk=get_tenancy().organization_for_page(page).id)
    was_on = organization.auto_generate_on_publish
    Organization.objects.filter(pk=organization.pk).update(auto_generate_on_publish=False)
    page.save_revision().publish()
    Organization.objects.filter(pk=organization.pk).update(auto_generate_on_publish=was_on)


@pytest.fixture
def translations(world, settings):
    """acme's lamp in German and Japanese, each under acme's index page translated into its locale."""
    settings.WAGTAIL_I18N_ENABLED = True
    BrandKit.objects.update_or_create(
        organization_id=world.orgs["acme"].pk, defaults={"default_voices": VOICES}
    )
    source = world.product["acme"]
    pages = {"en": source}
    for language, title in TRANSLATED_TITLES.items():
        locale, _ = Locale.objects.get_or_create(language_code=language)
        index = world.index["acme"].copy_for_translation(locale, copy_parents=True)
        quietly_published(index)
        page = source.copy_for_translation(locale)
        page.title = page.draft_title = title
        page.description = f"<p>{title}: ein warmes Licht.</p>"
        quietly_published(page)
        pages[language] = page
    return pages


def batch_queue_sizes(stub_broker) -> dict[str, int]:
    return {lane.queue: stub_broker.queues[lane.queue].qsize() for lane in (INTERACTIVE_LANE, PUBLISH_LANE)}


@pytest.mark.django_db
def test_each_translation_is_a_page_of_the_organization_with_its_own_jobs(translations, world):
    tenancy = get_tenancy()
    for page in translations.values():
        assert tenancy.organization_for_page(page).slug == "acme"
    assert len({page.pk for page in translations.values()}) == 3
    # The organization's catalogue for batches is its default-language one; translations are added on request.
    assert list(tenancy.pages_of(world.orgs["acme"].pk)) == [translations["en"]]


@pytest.mark.django_db
def test_generate_for_all_translations_queues_a_batch_job_per_locale_in_its_own_language(
    translations, world, client, sent_renders, stub_broker, django_capture_on_commit_callbacks
):
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:generate_translations", args=[translations["en"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    answer = response.json()
    assert sorted(item["locale"] for item in answer["requested"]) == ["de", "en", "ja"]
    assert answer["not_allowed"] == [] and answer["failed"] == []

    sent = sent_renders()
    assert sorted(request["page_id"] for request in sent) == sorted(page.pk for page in translations.values())
    assert stub_broker.queues[BATCH_LANE.queue].qsize() == 3
    assert batch_queue_sizes(stub_broker) == {INTERACTIVE_LANE.queue: 0, PUBLISH_LANE.queue: 0}
    for language, page in translations.items():
        job = VideoJob.objects.get(page=page)
        assert job.trigger == VideoJob.Trigger.BATCH
        # Each job speaks its own page: the translated title, never the source page's script.
        assert page.title in job.script
        assert job.voice == VOICES.get(language, "espeak:en-us")
        if language != "en":
            assert "A warm light" not in job.script  # the English description


@pytest.mark.django_db
def test_generate_for_all_translations_skips_and_names_translations_the_user_may_not_generate_for(
    translations, world, client, monkeypatch, sent_renders, django_capture_on_commit_callbacks
):
    japanese = translations["ja"].pk
    allowed = translation_views.can_generate
    monkeypatch.setattr(
        translation_views, "can_generate", lambda user, page: page.pk != japanese and allowed(user, page)
    )
    client.force_login(world.users[("owner", "acme")])
    url = reverse("video_plugin:generate_translations", args=[translations["en"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, HTTP_ACCEPT="application/json").json()
    assert [item["page_id"] for item in answer["not_allowed"]] == [japanese]
    assert "1 page(s) you may not generate videos for" in answer["summary"]
    assert sorted(item["locale"] for item in answer["requested"]) == ["de", "en"]
    assert japanese not in {request["page_id"] for request in sent_renders()}
    assert not VideoJob.objects.filter(page_id=japanese).exists()


@pytest.mark.django_db
def test_generate_for_all_translations_takes_a_generator_a_post_and_the_csrf_token(
    translations, world, client
):
    url = reverse("video_plugin:generate_translations", args=[translations["en"].pk])
    client.force_login(world.users[("editor", "acme")])
    refused = client.post(url, HTTP_ACCEPT="application/json")
    assert refused.status_code == 403 and "owners and admins" in refused.json()["error"]
    client.force_login(world.users[("admin", "bluebird")])
    assert client.post(url, HTTP_ACCEPT="application/json").status_code == 403
    client.force_login(world.users[("admin", "acme")])
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users[("admin", "acme")])
    assert strict.post(url, HTTP_ACCEPT="application/json").status_code == 403
    assert not VideoJob.objects.exists()


@pytest.mark.django_db
def test_the_panel_offers_all_translations_only_for_a_page_with_translations(translations, world, client):
    client.force_login(world.users[("admin", "acme")])
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[translations["en"].pk]))
    assert edit.status_code == 200
    html = edit.content.decode()
    assert "Generate for all translations" in html
    assert reverse("video_plugin:generate_translations", args=[translations["en"].pk]) in html
    client.force_login(world.users[("admin", "bluebird")])
    untranslated = client.get(reverse("wagtailadmin_pages:edit", args=[world.product["bluebird"].pk]))
    assert untranslated.status_code == 200
    assert "Generate for all translations" not in untranslated.content.decode()


@pytest.mark.django_db
def test_the_panel_button_posts_the_page_form_and_comes_back_to_the_editor(
    translations, world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:generate_translations", args=[translations["de"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"title": "ignored page form field"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_pages:edit", args=[translations["de"].pk])
    assert "All translations: requested 3 video(s)" in response.content.decode()
    assert VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH).count() == 3


@pytest.mark.django_db
def test_publishing_a_translation_renders_only_its_own_video(
    translations, world, sent_renders, stub_broker, django_capture_on_commit_callbacks
):
    assert world.orgs["acme"].auto_generate_on_publish
    german = translations["de"]
    german.title = "Acme Lampe, neu"
    with django_capture_on_commit_callbacks(execute=True):
        german.save_revision().publish()
    job = VideoJob.objects.get()
    assert (job.page_id, job.trigger) == (german.pk, VideoJob.Trigger.PUBLISH)
    assert "Acme Lampe, neu" in job.script and job.voice == VOICES["de"]
    assert [request["page_id"] for request in sent_renders()] == [german.pk]
    assert stub_broker.queues[PUBLISH_LANE.queue].qsize() == 1


@pytest.mark.django_db
def test_the_api_serves_each_locale_its_own_video(translations, client, api_host):  # noqa: F811
    german = give_video(translations["de"])
    english = give_video(translations["en"])
    assert german.media_id != english.media_id
    german_video = page_json(client, translations["de"])["ai_video"]
    english_video = page_json(client, translations["en"])["ai_video"]
    assert german_video["url"].endswith(german.output_key)
    assert english_video["url"].endswith(english.output_key)
    assert page_json(client, translations["ja"])["ai_video"] is None


@pytest.mark.django_db
def test_generate_videos_all_locales_adds_every_translation(
    translations, world, stub_broker, django_capture_on_commit_callbacks
):
    out = StringIO()
    call_command("generate_videos", "--org", "acme", "--dry-run", stdout=out)
    assert "would request 1 video(s)" in out.getvalue()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_videos", "--org", "acme", "--all-locales", stdout=out)
    assert "requested 3 video(s)" in out.getvalue()
    assert f"page {translations['ja'].pk} 'アクメランプ' [ja]" in out.getvalue()
    jobs = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH)
    assert sorted(jobs.values_list("page_id", flat=True)) == sorted(p.pk for p in translations.values())
    assert stub_broker.queues[BATCH_LANE.queue].qsize() == 3


@pytest.mark.django_db
def test_the_bulk_action_for_all_translations_queues_every_locale(
    translations, world, stub_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = GenerateVideosForTranslationsBulkAction.execute_action(
            [translations["ja"]], user=world.users[("admin", "acme")]
        )
    assert (queued, skipped) == (3, 0)
    assert stub_broker.queues[BATCH_LANE.queue].qsize() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert GenerateVideosForTranslationsBulkAction.execute_action(
            [translations["en"]], user=world.users[("admin", "bluebird")]
        ) == (0, 3)


@pytest.mark.django_db
def test_a_translation_deleted_mid_render_leaves_no_media_and_spoils_no_other_locale(
    translations, world, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        report = generate_videos(translations.values(), all_locales=True)
    assert len(report.requested) == 3
    jobs = {language: VideoJob.objects.get(page=page) for language, page in translations.items()}
    media_before = get_media_model().objects.count()

    translations["de"].delete()  # the job row goes with its page
    assert not VideoJob.objects.filter(pk=jobs["de"].pk).exists()
    assert apply_event(succeeded(jobs["de"])) is False
    assert get_media_model().objects.count() == media_before
    assert f"video_event for unknown job {jobs['de'].job_id}" in caplog.text

    for language in ("en", "ja"):
        assert apply_event(succeeded(jobs[language]))
        job = VideoJob.objects.get(pk=jobs[language].pk)
        assert job.status == VideoJob.Status.SUCCEEDED and job.is_current
        assert job.media.file.name == job.output_key
    assert get_media_model().objects.count() == media_before + 2


@pytest.mark.django_db
def test_members_edit_every_locale_of_their_catalogue_and_no_other(translations, world, client):
    german_edit = reverse("wagtailadmin_pages:edit", args=[translations["de"].pk])
    client.force_login(world.users[("editor", "acme")])
    assert client.get(german_edit).status_code == 200
    client.force_login(world.users[("editor", "bluebird")])
    assert client.get(german_edit).status_code == 302  # Wagtail's permission denied: back to the dashboard


def test_each_translation_is_served_at_its_own_address_with_its_own_video(translations, client):
    german = give_video(translations["de"])
    english = give_video(translations["en"])

    german_url, english_url = translations["de"].get_url(), translations["en"].get_url()
    assert german_url.startswith("/de/") and not english_url.startswith(("/de/", "/en/"))
    german_page, english_page = client.get(german_url), client.get(english_url)

    assert german_page.status_code == english_page.status_code == 200
    german_video, english_video = (job.output_key.removesuffix(".mp4") for job in (german, english))
    assert TRANSLATED_TITLES["de"] in german_page.text and german_video in german_page.text
    assert '<html lang="de">' in german_page.text
    assert english_video in english_page.text and german_video not in english_page.text


def test_the_page_listing_offers_generate_for_all_translations(translations, world, client):
    client.force_login(world.users[("admin", "acme")])
    listing = client.get(reverse("wagtailadmin_explore", args=[world.index["acme"].pk]))
    assert listing.status_code == 200 and "Generate videos for all translations" in listing.text


def test_each_translations_media_item_is_titled_in_its_language(translations):
    german, english = give_video(translations["de"]), give_video(translations["en"])

    assert german.media.title == f"{TRANSLATED_TITLES['de']} (Präsentatorvideo)"
    assert english.media.title == f"{translations['en'].title} (presenter video)"
