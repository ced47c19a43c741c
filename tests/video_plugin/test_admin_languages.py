"""The admin in the editor's language: the plugin ships German and French catalogues that cover every string
of its sources (Python, templates and the panel's JavaScript), compiled, and the product panel renders in
German with no English left in it. The example shop's catalogues (its tenancy's words in the panel) are held
to the same rules.

The catalogues are checked against what ``make messages`` would extract now, from a copy of the sources, so a
string added without a translation fails here rather than showing English to a German editor.
"""

from __future__ import annotations

import gettext
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import Presenter, VideoJob

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr")
# package -> its catalogues' domains (the shop has no JavaScript of its own to translate)
PACKAGES = {"video_plugin": ("django", "djangojs"), "shop": ("django",)}
CATALOGUES = [
    (package, language, domain)
    for package, domains in PACKAGES.items()
    for language in LANGUAGES
    for domain in domains
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def po_path(root: Path, package: str, language: str, domain: str) -> Path:
    return root / package / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogues as ``make messages`` would write them now: extracted from a copy of each package's
    sources and merged with the committed translations (new strings come out empty, changed ones fuzzy)."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: `make system-packages` installs it (apt-get install gettext)")
    root = tmp_path_factory.mktemp("sources")
    for package, domains in PACKAGES.items():
        copy = root / package
        shutil.copytree(REPO / package, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for domain in domains:
            command = [
                sys.executable,
                str(REPO / "manage.py"),
                "makemessages",
                "--domain",
                domain,
                "--no-obsolete",
            ]
            command += [arg for language in LANGUAGES for arg in ("--locale", language)]
            subprocess.run(command, cwd=copy, check=True, capture_output=True)
    return root


def forms_of(message) -> list[tuple[str, str]]:
    """(English, translation) pairs of a message: one, or one per plural form against the English plural."""
    if isinstance(message.id, tuple):
        singular, plural = message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return [(singular if index == 0 else plural, text) for index, text in enumerate(strings)]
    return [(message.id, message.string)]


@pytest.mark.parametrize(("package", "language", "domain"), CATALOGUES)
def test_every_string_of_the_sources_has_a_translation(
    extracted: Path, package: str, language: str, domain: str
) -> None:
    catalogue = read_catalogue(po_path(extracted, package, language, domain))
    messages = [message for message in catalogue if message.id]
    assert messages, f"nothing extracted from {package} for {domain} in {language}"
    untranslated = [message.id for message in messages if not all(text for _, text in forms_of(message))]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert not untranslated, (
        f"{package} {language} {domain}: untranslated (run `make messages`, then translate): {untranslated}"
    )
    assert not fuzzy, f"{package} {language} {domain}: changed in the sources, translation to check: {fuzzy}"


@pytest.mark.parametrize(("package", "language", "domain"), CATALOGUES)
def test_the_committed_catalogues_hold_exactly_what_the_sources_say(
    extracted: Path, package: str, language: str, domain: str
) -> None:
    committed = {
        message.id for message in read_catalogue(po_path(REPO, package, language, domain)) if message.id
    }
    current = {
        message.id for message in read_catalogue(po_path(extracted, package, language, domain)) if message.id
    }
    assert current - committed == set(), "strings missing from the committed catalogue: run `make messages`"
    assert committed - current == set(), "strings no longer in the sources: run `make messages`"


@pytest.mark.parametrize(("package", "language", "domain"), CATALOGUES)
def test_translations_keep_every_placeholder(package: str, language: str, domain: str) -> None:
    for message in read_catalogue(po_path(REPO, package, language, domain)):
        if (
            not message.id
            or "python-format" not in message.flags
            and "javascript-format" not in message.flags
        ):
            continue
        for english, text in forms_of(message):
            # A plural form may leave out the count ("one job" for %(count)s), never name another value.
            names, translated = set(PLACEHOLDER.findall(english)), set(PLACEHOLDER.findall(text))
            assert translated <= names and names - translated <= {"count"}, (language, english, text)


@pytest.mark.parametrize(("package", "language", "domain"), CATALOGUES)
def test_the_compiled_catalogues_match_their_sources(package: str, language: str, domain: str) -> None:
    po = po_path(REPO, package, language, domain)
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in read_catalogue(po):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            found = (
                compiled.npgettext(message.context, singular, plural, 1)
                if message.context
                else compiled.ngettext(singular, plural, 1)
            )
            assert found in message.string, f"{po.with_suffix('.mo')} is stale: run `make messages`"
        else:
            found = (
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            )
            assert found == message.string, f"{po.with_suffix('.mo')} is stale: run `make messages`"


def prefer(user, language: str) -> None:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def finished_job(page) -> VideoJob:
    job = request_video(page, None, VideoJob.Trigger.PUBLISH)
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key))
    return job


# The words a reader sees in the state and presenter data the panel renders from (the rest are names and ids).
READABLE_KEYS = {
    "reason", "stage_label", "requested_text", "renderer_label", "voice_note", "layout_label",
    "duration_text", "eta_text", "label", "message", "note", "problem", "status_label",
}  # fmt: skip


def readable_strings(value, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [text for name, item in value.items() for text in readable_strings(item, name)]
    if isinstance(value, list):
        return [text for item in value for text in readable_strings(item, key)]
    return [value] if isinstance(value, str) and key in READABLE_KEYS and value else []


def panel_words(client, page) -> set[str]:
    """Every piece of text the panel shows as rendered by the server: text, the attributes people read, and
    the readable strings of the JSON its controller renders from."""
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    panel = BeautifulSoup(html, "html.parser").select_one(".aivideo-panel")
    assert panel is not None
    for script in panel.find_all("script"):
        script.decompose()  # the image chooser's set-up code, no text
    words = {text.strip() for text in panel.find_all(string=True) if text.strip()}
    for element in panel.find_all(True):
        words |= {
            element[name].strip()
            for name in ("title", "aria-label", "placeholder", "alt")
            if element.get(name)
        }
        for name, value in element.attrs.items():
            if name.endswith("-value") and isinstance(value, str) and value.startswith(("{", "[")):
                words |= set(readable_strings(json.loads(value)))
    return words


@pytest.mark.django_db
def test_the_panel_renders_in_german_with_no_english_left(world, client, settings) -> None:
    page = world.product["acme"]
    finished_job(page)
    request_video(page, None, VideoJob.Trigger.EDITOR)  # a queued job: its state and origin in words
    user = world.users[("owner", "acme")]
    client.force_login(user)

    prefer(user, "en")
    english = panel_words(client, page)
    prefer(user, "de")
    german = panel_words(client, page)

    # What may read the same in both: names from the data, and words German spells as English does, which
    # the catalogue translates to themselves ("Layout", "Feed (1:1)").
    data = {page.title, *Presenter.objects.values_list("name", flat=True)}
    same = {
        message.id
        for message in read_catalogue(po_path(REPO, "video_plugin", "de", "django"))
        if message.id == message.string
    }
    left = {text for text in english & german if text not in data | same and re.search(r"[A-Za-z]{2,}", text)}
    assert not left, f"English left in the German panel: {sorted(left)}"
    assert {"Video erzeugen", "Skript", "Präsentatorbild"} <= german


@pytest.mark.django_db
def test_an_editor_who_may_not_generate_is_told_who_may_in_german(world, client) -> None:
    page = world.product["acme"]
    user = world.users[("editor", "acme")]
    client.force_login(user)

    prefer(user, "de")
    german = panel_words(client, page)

    # The shop's tenancy names the people, from the shop's own catalogue, inside the plugin's sentence.
    assert "Nur Inhaber und Administratoren der Organisation der Seite können Videos erzeugen." in german
    assert not any("owners and admins" in text for text in german)


@pytest.mark.django_db
def test_the_panel_script_strings_come_in_the_editors_language(world, client) -> None:
    user = world.users[("owner", "acme")]
    client.force_login(user)
    catalogue = read_catalogue(po_path(REPO, "video_plugin", "de", "djangojs"))
    message = next(message for message in catalogue if message.id and isinstance(message.id, str))
    url = reverse("video_plugin:javascript_catalog")

    prefer(user, "de")
    assert json.dumps(message.string)[1:-1] in client.get(url).content.decode()
    prefer(user, "en")
    assert json.dumps(message.string)[1:-1] not in client.get(url).content.decode()


def test_the_plugins_models_are_named_in_the_editors_language() -> None:
    """Wagtail names a model in its headings and messages ("Brand kit '…' updated"): none stays English."""
    models = apps.get_app_config("video_plugin").get_models()
    names = [(model._meta.verbose_name, model._meta.verbose_name_plural) for model in models]
    with translation.override("en"):
        english = [str(name) for pair in names for name in pair]
    with translation.override("de"):
        german = [str(name) for pair in names for name in pair]
    assert [name for name, in_german in zip(english, german, strict=True) if name == in_german] == []
