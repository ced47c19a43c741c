"""Scripts in the page's language: each language's templates, its prices as its locale writes them, its
speaking time, and a clear word for a language without templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import Locale

from video_plugin.jobs.scripts import (
    LANGUAGES,
    TONES,
    ScriptError,
    ScriptSource,
    Tone,
    compose_script,
    first_sentences,
    read_templates,
    write_script,
)
from video_plugin.jobs.speech_time import estimated_speech_seconds, longest_script_chars

NBSP = "\u00a0"  # Babel keeps an amount and its currency together with a no-break space: "24,00 €"

# The Acme Lamp's translations, and the script each gets in the default (friendly) tone at 24 euros.
TRANSLATIONS = {
    "en": ("Acme Lamp", "<p>A warm light.</p>", "Meet the Acme Lamp. A warm light. Yours for 24 euros."),
    "de": (
        "Acme-Lampe",
        "<p>Ein warmes Licht.</p>",
        f"Darf ich vorstellen: Acme-Lampe. Ein warmes Licht. Und das für 24,00{NBSP}€.",
    ),
    "fr": (
        "Lampe Acme",
        "<p>Une lumière chaleureuse.</p>",
        f"Découvrez Lampe Acme. Une lumière chaleureuse. Et tout cela pour 24,00{NBSP}€.",
    ),
    "es": (
        "Lámpara Acme",
        "<p>Una luz cálida.</p>",
        f"Te presentamos Lámpara Acme. Una luz cálida. Por solo 24,00{NBSP}€.",
    ),
    "ja": (
        "アクメランプ",
        "<p>あたたかな光</p>",
        "アクメランプをご紹介します。あたたかな光。お値段は€24.00です。",
    ),
}


@pytest.fixture
def translating(settings: Any) -> None:
    """Wagtail i18n on, in every language with templates and in Polish (which has none), and the shop's
    prices in euros."""
    languages = [(code, language.name) for code, language in LANGUAGES.items()] + [("pl", "Polish")]
    settings.WAGTAIL_I18N_ENABLED = True
    settings.LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES = languages
    settings.SHOP_CURRENCY = "EUR"


def translated(page: Any, language: str, title: str, description: str) -> Any:
    """``page`` copied into ``language``'s locale (its index page too), title and description translated."""
    locale = Locale.objects.get_or_create(language_code=language)[0]
    if page.locale_id == locale.pk:
        copy = page
    else:
        copy = page.copy_for_translation(locale, copy_parents=True).specific
    copy.title, copy.description = title, description
    copy.save()
    copy.save_revision()  # the panel writes from the latest draft, as an editor's translation saves one
    return copy


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_a_translated_page_gets_a_script_in_its_own_language(world, translating, language):
    title, description, expected = TRANSLATIONS[language]
    page = translated(world.product["acme"], language, title, description)
    source = page.video_script_source()
    assert source.language == language
    assert compose_script(source) == expected


def test_the_panel_writes_a_german_page_a_german_script_in_every_tone(world, translating, client):
    page = translated(world.product["acme"], "de", "Acme-Lampe", "<p>Ein warmes Licht.</p>")
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:script", args=[page.pk])
    written = {tone: client.get(url, {"tone": tone}).json() for tone in TONES}
    assert {body["language"] for body in written.values()} == {"de"}
    assert written["enthusiastic"]["script"] == (
        "Schauen Sie mal: Acme-Lampe! Ein warmes Licht. "
        f"Und das Beste daran? Nur 24,00{NBSP}€. Jetzt zugreifen!"
    )
    assert written["professional"]["script"].endswith(
        f"Erhältlich für 24,00{NBSP}€. Alle Details finden Sie auf dieser Seite."
    )
    assert written["concise"]["script"] == f"Acme-Lampe. Ein warmes Licht. 24,00{NBSP}€."


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("tone", sorted(TONES))
def test_every_language_has_every_tone_and_fills_title_and_price(language, tone):
    source = ScriptSource(title="Zeta", price=Decimal("1234.5"), currency="EUR", language=language)
    script = write_script(source, tone)
    amount = {
        "en": "1,234.50 euros",
        "de": "1.234,50",
        "fr": "1\u202f234,50",
        "es": "1.234,50",
        "ja": "€1,234.50",
    }
    assert "Zeta" in script and amount[language] in script


def test_a_german_price_is_written_the_german_way_whatever_the_currency():
    source = ScriptSource(title="Lampe", price=Decimal("24"), currency="USD", language="de")
    assert write_script(source) == f"Darf ich vorstellen: Lampe. Und das für 24,00{NBSP}$."
    # A region keeps its own way: Austria puts the currency first.
    austrian = ScriptSource(title="Lampe", price=Decimal("24"), currency="EUR", language="de-at")
    assert write_script(austrian) == f"Darf ich vorstellen: Lampe. Und das für €{NBSP}24,00."
    assert write_script(ScriptSource(title="Lampe", price_text="24 Taler", language="de")).endswith(
        "24 Taler."
    )


def test_a_japanese_page_speaks_yen_without_fractions():
    source = ScriptSource(title="ランプ", price=Decimal("2400"), currency="JPY", language="ja")
    assert (
        write_script(source, "professional")
        == "ランプのご案内です。価格は￥2,400です。詳しくはこのページをご覧ください。"
    )


def test_a_japanese_description_is_cut_at_a_full_stop():
    description = "一つ目の文です。" + "二つ目の文はとても長く続きます。" * 40
    kept = first_sentences(description, 60)
    assert kept.startswith("一つ目の文です。二つ目の文") and kept.endswith("。") and len(kept) <= 60


def test_a_language_without_templates_says_so_and_asks_for_a_script(world, translating, client):
    page = translated(world.product["acme"], "pl", "Lampa Acme", "<p>Ciepłe światło.</p>")
    source = page.video_script_source()
    with pytest.raises(ScriptError, match=r"Polish \('pl'\).*Write the video script on the page yourself"):
        write_script(source)
    assert compose_script(source) == ""
    # The editor's own script is spoken in any language.
    page.video_script = "Poznaj lampę Acme."
    assert compose_script(page.video_script_source()) == "Poznaj lampę Acme."

    client.force_login(world.users[("admin", "acme")])
    response = client.get(reverse("video_plugin:script", args=[page.pk]))
    assert response.status_code == 400
    assert "scripts cannot be written in Polish" in response.json()["error"]


def test_without_wagtail_i18n_a_page_speaks_the_sites_language(world, settings):
    settings.WAGTAIL_I18N_ENABLED = False
    settings.LANGUAGE_CODE = "de"
    settings.SHOP_CURRENCY = "EUR"
    assert compose_script(world.product["acme"].video_script_source()).startswith(
        "Darf ich vorstellen: Acme Lamp. A warm light."
    )


def test_the_shown_price_follows_the_pages_language(world, translating):
    german = translated(world.product["acme"], "de", "Acme-Lampe", "<p>Ein warmes Licht.</p>")
    assert german.video_product().price == f"24{NBSP}€"
    assert world.product["acme"].video_product().price == "€24"


def test_a_japanese_script_is_timed_by_its_characters_not_its_words():
    japanese, english = "ランプ" * 20, "lamp" * 15  # 60 characters each, one "word" each
    for voice in ("edge:ja-JP-NanamiNeural", "espeak:ja"):
        assert estimated_speech_seconds(japanese, voice) != estimated_speech_seconds(
            english, "edge:en-US-AriaNeural"
        )
    # Edge's English rate counts words: one long word lasts 0.4 s, sixty Japanese characters 12 s.
    assert estimated_speech_seconds(english, "edge:en-US-AriaNeural") == 0.4
    assert estimated_speech_seconds(japanese, "edge:ja-JP-NanamiNeural") == 12.0
    # Given the script's language, a Japanese script read by an English voice is still counted in characters.
    assert estimated_speech_seconds(japanese, "edge:en-US-AriaNeural", "ja") == 12.0


def test_the_longest_script_is_as_long_spoken_in_every_language():
    assert longest_script_chars("espeak:en-us", 3000) == 3000
    assert longest_script_chars("espeak:de", 3000) == 3000  # German is spoken faster per letter
    # espeak speaks 3.2 Japanese characters a second to 13.3 English letters: 3000 × 3.2 / 13.3.
    assert longest_script_chars("espeak:ja", 3000) == 721
    # Edge: 2.5 English words (15 characters) a second to 5 Japanese characters.
    assert longest_script_chars("edge:ja-JP-NanamiNeural", 3000) == 1000


def test_the_panel_gives_a_japanese_page_its_japanese_limit(world, translating, client):
    page = translated(world.product["acme"], "ja", "アクメランプ", "<p>あたたかな光</p>")
    client.force_login(world.users[("admin", "acme")])
    body = client.get(reverse("video_plugin:script", args=[page.pk]), {"voice": "espeak:ja"}).json()
    assert body["limit"] == 721 and body["language"] == "ja"
    assert body["seconds"] == estimated_speech_seconds(body["script"], "espeak:ja")


def test_a_templates_file_missing_a_tone_is_refused_by_name():
    text = """
[tones]
friendly = "Friendly"
concise = "Concise"

[it]
name = "Italian"
friendly = { opening = "Ecco {title}.", price = "A soli {price}." }
"""
    with pytest.raises(ValueError, match=r"templates for 'it' lack the tones \['concise'\]"):
        read_templates(text)
    complete = read_templates(text + 'concise = { opening = "{title}.", price = "{price}." }\n')
    assert complete["it"].tones["friendly"] == Tone(
        label="Friendly", opening="Ecco {title}.", price="A soli {price}."
    )
