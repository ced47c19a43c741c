"""Translations made with wagtail-localize, as a translator makes them: the English product page is submitted
for translation, its strings come back as a PO file in German, and publishing the translation renders the
German page's own video (its translated title and script, a German voice); the English page gets no new job.

``make setup`` installs wagtail-localize (the test dependency group) and the example shop enables it when it
is installed; the plugin's version matrix runs the translation tests without it (.ci/plugin-matrix).
"""

from __future__ import annotations

import importlib.util

import pytest
from django.conf import settings as django_settings
from wagtail.models import Locale

from tests.video_plugin.test_translations import quietly_published
from video_plugin.models import BrandKit, VideoJob

if importlib.util.find_spec("wagtail_localize") is None:
    pytest.fail("wagtail-localize is missing: `make setup` installs it", pytrace=False)

from wagtail_localize.models import Translation, TranslationSource  # noqa: E402 (after the check above)

pytestmark = pytest.mark.django_db

# The translator's German for each English string of the page (anything else keeps its English).
GERMAN = {
    "Kitchen Lamp": "Küchenlampe",
    "A warm light for the kitchen.": "Ein warmes Licht für die Küche.",
}
SCRIPT = ("The Kitchen Lamp lights up your kitchen.", "Die Küchenlampe erhellt Ihre Küche.")


def translate(page, locale, user) -> None:
    """Submit ``page`` for translation into ``locale``, fill in the PO file as a translator would, and
    publish the translation (wagtail-localize publishes once the transaction commits)."""
    source, _ = TranslationSource.get_or_create_from_instance(page)
    translation = Translation.objects.create(source=source, target_locale=locale)
    po = translation.export_po()
    for entry in po:
        entry.msgstr = {**GERMAN, SCRIPT[0]: SCRIPT[1]}.get(entry.msgid, "")
    assert any(entry.msgstr for entry in po), f"no string of the page to translate: {[e.msgid for e in po]}"
    translation.import_po(po, user=user)
    translation.save_target(user=user, publish=True)


def test_the_shop_runs_with_wagtail_localize():
    assert "wagtail_localize" in django_settings.INSTALLED_APPS
    assert "wagtail.locales" not in django_settings.INSTALLED_APPS  # its own locales app replaces Wagtail's


def test_publishing_a_wagtail_localize_translation_renders_its_own_german_video(
    world, settings, sent_renders, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_I18N_ENABLED = True
    acme = world.orgs["acme"]
    acme.auto_generate_on_publish = True
    acme.save()
    BrandKit.objects.create(organization_id=acme.pk, default_voices={"de": "espeak:de"})
    english = world.product["acme"]
    english.title, english.description, english.video_script = (
        "Kitchen Lamp",
        "<p>A warm light for the kitchen.</p>",
        SCRIPT[0],
    )
    quietly_published(english)
    german_locale = Locale.objects.get_or_create(language_code="de")[0]
    quietly_published(world.index["acme"].copy_for_translation(german_locale, copy_parents=True))

    with django_capture_on_commit_callbacks(execute=True):
        translate(english, german_locale, world.users[("admin", "acme")])

    german = english.get_translation(german_locale)
    assert german.title == "Küchenlampe" and german.live
    [job] = VideoJob.objects.all()  # the translation's publish, and nothing for the English page
    assert (job.page_id, job.trigger) == (german.pk, VideoJob.Trigger.PUBLISH)
    assert job.status == VideoJob.Status.QUEUED
    assert (job.script, job.voice) == (SCRIPT[1], "espeak:de")
    assert [request["page_id"] for request in sent_renders()] == [german.pk]
