"""Every layout and format of the contract and every tone of the script templates has a label in the editor's
language."""

from __future__ import annotations

from django.utils import translation

from gpu_runner.protocol import FORMATS, LAYOUT_LABELS, LAYOUTS
from video_plugin.editor.labels import (
    FORMAT_CHOICE_LABELS,
    LAYOUT_CHOICE_LABELS,
    TONE_LABELS,
    format_label,
    layout_label,
    tone_label,
)
from video_plugin.jobs.scripts import TONES


def test_every_layout_format_and_tone_is_listed_in_english_as_its_source_names_it() -> None:
    assert set(LAYOUT_CHOICE_LABELS) == set(LAYOUTS) and set(FORMAT_CHOICE_LABELS) == set(FORMATS)
    assert set(TONE_LABELS) == set(TONES)
    with translation.override("en"):
        assert {name: layout_label(name) for name in LAYOUTS} == {
            name: LAYOUT_LABELS[name] for name in LAYOUTS
        }
        assert {name: format_label(name) for name in FORMATS} == {
            name: f.label for name, f in FORMATS.items()
        }
        assert {name: tone_label(name) for name in TONES} == {
            name: tone.label for name, tone in TONES.items()
        }


def test_labels_follow_the_active_language() -> None:
    with translation.override("de"):
        german = [layout_label("presenter_product"), format_label("square"), tone_label("friendly")]
    assert german != ["Presenter and product", "Feed (1:1)", "Friendly"]


def test_an_unknown_name_reads_as_itself() -> None:
    assert (layout_label("mosaic"), format_label("cinema"), tone_label("wry")) == ("mosaic", "cinema", "wry")
