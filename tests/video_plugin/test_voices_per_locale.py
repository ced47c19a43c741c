"""Voices per locale: a page is read by a voice of its own language (the brand kit's, the organization's, the
runners'), or its job fails saying which languages can be voiced; English pages keep the organization's voice;
Settings → Brand kits sets a voice per language; the editor's picker lists the page's language first."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import Locale

from gpu_runner.protocol import ErrorCode, RenderRequest
from tests.video_plugin.conftest import publish_runner
from tests.video_plugin.test_brand import kit_form
from video_plugin.brand.voices_by_language import validate_voices_by_language
from video_plugin.jobs.capabilities import merge_records
from video_plugin.jobs.voices import NoVoiceForLanguage, voice_for
from video_plugin.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db
BRAND_KITS = "/admin/video-brand-kits"
CONTROLLER = Path("video_plugin/static/video_plugin/js/video-panel-controller.js")
GERMAN_VOICES = ["edge:de-AT-IngridNeural", "edge:de-DE-KatjaNeural", "espeak:de"]


@pytest.fixture
def translating(settings: Any) -> None:
    """Wagtail i18n on, with English, German and Japanese pages."""
    settings.WAGTAIL_I18N_ENABLED = True
    settings.LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES = [
        ("en", "English"),
        ("de", "German"),
        ("ja", "Japanese"),
    ]


def german(page: Any) -> Any:
    """``page`` translated into German (its index page too), with a German script of its own."""
    locale = Locale.objects.get_or_create(language_code="de")[0]
    copy = page.copy_for_translation(locale, copy_parents=True).specific
    copy.title, copy.video_script = "Acme Lampe", "Diese Lampe leuchtet warm und hell."
    copy.save()
    return copy


def test_a_german_page_is_read_by_the_brand_kits_german_voice(world, translating, ask, sent_renders, redis):
    BrandKit.objects.create(
        organization_id=world.orgs["acme"].pk, default_voices={"de": "edge:de-DE-KatjaNeural"}
    )
    publish_runner(redis, {"de": GERMAN_VOICES, "en": ["espeak:en-us"]})

    job = ask(german(world.product["acme"]), VideoJob.Trigger.PUBLISH)

    assert (job.status, job.voice) == (VideoJob.Status.QUEUED, "edge:de-DE-KatjaNeural")
    [sent] = sent_renders()
    assert RenderRequest.from_dict(sent).voice == "edge:de-DE-KatjaNeural"


def test_without_a_kit_voice_a_german_page_gets_the_runners_german_voice_online_engine_first(
    world, translating, ask, redis
):
    publish_runner(redis, {"de": GERMAN_VOICES, "en": ["espeak:en-us"]})
    page = german(world.product["acme"])

    assert ask(page, VideoJob.Trigger.BATCH).voice == "edge:de-DE-KatjaNeural"  # Germany's, not Austria's

    VideoJob.objects.all().delete()
    publish_runner(redis, {"de": ["espeak:de"], "en": ["espeak:en-us"]})
    assert ask(page, VideoJob.Trigger.API).voice == "espeak:de"


def test_an_organization_voice_in_the_pages_language_is_kept(world, translating, ask, redis):
    acme = world.orgs["acme"]
    acme.default_voice = "espeak:de"
    acme.save()
    publish_runner(redis, {"de": GERMAN_VOICES})

    assert ask(german(world.product["acme"]), VideoJob.Trigger.EDITOR).voice == "espeak:de"


def test_a_german_page_no_voice_speaks_fails_listing_the_languages_that_can_be_voiced(
    world, translating, ask, sent_renders, redis
):
    publish_runner(redis, {"en": ["espeak:en-us"], "fr": ["espeak:fr-fr"]})
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, default_voices={"ja": "espeak:ja"})

    job = ask(german(world.product["acme"]), VideoJob.Trigger.PUBLISH)

    assert (job.status, job.error_code, job.voice) == (VideoJob.Status.FAILED, ErrorCode.UNKNOWN_VOICE, "")
    message = job.error_message
    assert message.startswith("no voice speaks German (de), the language of page 'Acme Lampe'")
    assert "the organization's default voice espeak:en-us speaks en" in message
    assert "Languages that can be voiced: English (en), French (fr), Japanese (ja)." in message
    assert "Settings → Brand kits" in message
    assert sent_renders() == []
    assert VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.FAILED


def test_with_no_runner_online_a_german_page_without_a_german_voice_fails_saying_so(
    world, translating, ask, redis
):
    job = ask(german(world.product["acme"]), VideoJob.Trigger.PUBLISH)
    assert job.error_code == ErrorCode.UNKNOWN_VOICE
    assert "no runner is online to offer one" in job.error_message


def test_a_voice_the_request_names_is_kept_whatever_the_pages_language(world, translating, ask, redis):
    job = ask(german(world.product["acme"]), VideoJob.Trigger.EDITOR, voice="espeak:en-gb")
    assert (job.status, job.voice) == (VideoJob.Status.QUEUED, "espeak:en-gb")


def test_english_pages_keep_the_organizations_voice_whatever_the_kit_and_runners_offer(
    world, translating, ask, redis
):
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, default_voices={"de": "espeak:de"})
    publish_runner(redis, {"en": ["edge:en-US-AriaNeural", "espeak:en-us"], "de": GERMAN_VOICES})
    assert ask(world.product["acme"], VideoJob.Trigger.PUBLISH).voice == "espeak:en-us"

    bluebird = world.orgs["bluebird"]
    bluebird.default_voice = "edge:en-GB-SoniaNeural"
    bluebird.save()
    assert ask(world.product["bluebird"], VideoJob.Trigger.BATCH).voice == "edge:en-GB-SoniaNeural"


def test_a_kit_voice_for_english_reads_english_pages(world, ask, redis):
    # Without i18n settings too: the page's locale is the site's LANGUAGE_CODE ("en-us" → "en").
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, default_voices={"en": "espeak:en-gb"})
    assert ask(world.product["acme"], VideoJob.Trigger.PUBLISH).voice == "espeak:en-gb"


def test_a_regional_locale_uses_its_languages_kit_voice_and_prefers_the_runners_voice_of_its_region(world):
    organization = SimpleNamespace(default_voice="espeak:en-us")
    austrian = SimpleNamespace(title="Lampe", video_language=lambda: "de-AT")  # a page in Austrian German
    runners = merge_records([{"v": 1, "voices": {"de": GERMAN_VOICES}}])

    kit = BrandKit(organization_id=world.orgs["acme"].pk, default_voices={"de": "espeak:de"})
    assert voice_for(austrian, organization, kit, runners) == "espeak:de"
    assert voice_for(austrian, organization, BrandKit(), runners) == "edge:de-AT-IngridNeural"
    with pytest.raises(NoVoiceForLanguage, match=r"no voice speaks German \(de\)"):
        voice_for(austrian, organization, BrandKit(), merge_records([{"v": 1, "voices": {}}]))


@pytest.mark.parametrize(
    ("voices", "problem"),
    [
        ({"de": "espeak:en-us"}, "de: voice 'espeak:en-us' speaks en, not de; choose a de voice"),
        ({"de": "Katja"}, "de: voice 'Katja' is not an engine-qualified voice id"),
        ({"de-AT": "espeak:de"}, "'de-AT' is not a primary language code"),
    ],
)
def test_the_kits_voices_must_be_voice_ids_speaking_their_language(voices, problem):
    with pytest.raises(ValidationError) as refused:
        validate_voices_by_language(voices)
    [message] = refused.value.messages
    assert message.startswith(problem)
    validate_voices_by_language({"de": "edge:de-DE-KatjaNeural", "ja": "espeak:ja"})


def test_settings_brand_kits_sets_a_voice_per_site_language(client, world, translating, redis):
    publish_runner(redis, {"de": GERMAN_VOICES})
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk)
    client.force_login(world.users[("owner", "acme")])

    form = BeautifulSoup(client.get(f"{BRAND_KITS}/edit/{kit.pk}/").content.decode(), "html.parser")
    fields = [field["name"] for field in form.select("input[name^=voice_]")]
    assert fields == ["voice_en", "voice_de", "voice_ja"]
    assert "Voice for German pages" in form.get_text()
    suggested = [
        option["value"]
        for option in form.select(f"datalist#{form.select_one('[name=voice_de]')['list']} option")
    ]
    assert suggested == GERMAN_VOICES

    saved = client.post(
        f"{BRAND_KITS}/edit/{kit.pk}/", kit_form(voice_de="edge:de-DE-KatjaNeural", voice_ja=" ")
    )
    assert saved.status_code == 302
    kit.refresh_from_db()
    assert kit.default_voices == {"de": "edge:de-DE-KatjaNeural"}
    edit = BeautifulSoup(client.get(f"{BRAND_KITS}/edit/{kit.pk}/").content.decode(), "html.parser")
    assert edit.select_one("[name=voice_de]")["value"] == "edge:de-DE-KatjaNeural"


def test_settings_brand_kits_refuses_a_voice_of_another_language_in_its_field(client, world, translating):
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk, default_voices={"de": "espeak:de"})
    client.force_login(world.users[("owner", "acme")])

    refused = client.post(f"{BRAND_KITS}/edit/{kit.pk}/", kit_form(voice_de="espeak:en-us"))

    assert refused.status_code == 200
    page = BeautifulSoup(refused.content.decode(), "html.parser")
    errors = (
        page.select_one("[name=voice_de]").find_parent(class_="w-field__wrapper").get_text(" ", strip=True)
    )
    assert "voice 'espeak:en-us' speaks en, not de; choose a de voice" in errors
    kit.refresh_from_db()
    assert kit.default_voices == {"de": "espeak:de"}


def test_the_panel_tells_the_picker_the_pages_language_and_its_default_voice(
    client, world, translating, redis
):
    BrandKit.objects.create(
        organization_id=world.orgs["acme"].pk, default_voices={"de": "edge:de-DE-KatjaNeural"}
    )
    page = german(world.product["acme"])
    client.force_login(world.users[("admin", "acme")])

    def panel_of(target: Any) -> Any:
        html = client.get(reverse("wagtailadmin_pages:edit", args=[target.pk])).content.decode()
        return BeautifulSoup(html, "html.parser").select_one(".aivideo-panel")

    german_panel = panel_of(page)
    assert german_panel["data-aivideo-panel-page-language-value"] == "de"
    assert german_panel["data-aivideo-panel-default-voice-value"] == "edge:de-DE-KatjaNeural"
    english_panel = panel_of(world.product["acme"])
    assert english_panel["data-aivideo-panel-page-language-value"] == "en"
    assert english_panel["data-aivideo-panel-default-voice-value"] == "espeak:en-us"


# Loads the real controller with the least of a browser it needs to be defined, then asks it for the groups.
VOICE_GROUPS_SCRIPT = """
const vm = require('vm');
const fs = require('fs');
let registered = null;
const window = {
  StimulusModule: { Controller: class {} },
  wagtail: { app: { register: (name, controller) => { registered = controller; } } },
};
vm.runInNewContext(fs.readFileSync(process.argv[1], 'utf8'), { window });
const [voices, language] = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(registered.voiceGroups(voices, language)));
"""


def picker_groups(voices: dict[str, list[str]], language: str) -> list[list[Any]]:
    argument = json.dumps([voices, language])
    result = subprocess.run(
        ["node", "-e", VOICE_GROUPS_SCRIPT, str(CONTROLLER), argument],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_picker_lists_the_pages_language_first_then_the_others_as_sent():
    voices = {"de": ["espeak:de"], "en": ["espeak:en-us"], "ja": ["espeak:ja"]}
    assert [group[0] for group in picker_groups(voices, "ja")] == ["ja", "de", "en"]
    assert picker_groups(voices, "de")[0] == ["de", ["espeak:de"]]
    assert [group[0] for group in picker_groups(voices, "fr")] == ["de", "en", "ja"]
