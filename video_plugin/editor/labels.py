"""What an editor reads for the contract's layouts and formats and the scripts' tones, in the editor's
language. The contract (``gpu_runner.protocol``) and the script templates name them in English only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gpu_runner.protocol import FORMATS, LAYOUT_LABELS
from video_plugin.jobs.scripts import TONES
from video_plugin.models import FORMAT_CHOICE_LABELS, LAYOUT_CHOICE_LABELS

# The tones of video_plugin/jobs/script_templates.toml; a tone added there shows its English label until it is
# listed here.
TONE_LABELS = {
    "friendly": _("Friendly"),
    "enthusiastic": _("Enthusiastic"),
    "professional": _("Professional"),
    "concise": _("Concise"),
}


def layout_label(name: str) -> str:
    """``presenter_product`` → "Presenter and product", translated; the contract's label, else the name, for a
    layout not listed."""
    return str(LAYOUT_CHOICE_LABELS.get(name) or LAYOUT_LABELS.get(name, name))


def format_label(name: str) -> str:
    """``square`` → "Feed (1:1)", translated; the contract's label, else the name, for a format not listed."""
    label = FORMAT_CHOICE_LABELS.get(name)
    if label:
        return str(label)
    return FORMATS[name].label if name in FORMATS else name


def tone_label(name: str) -> str:
    """``friendly`` → "Friendly", translated; the templates' label, else the name, for a tone not listed."""
    label = TONE_LABELS.get(name)
    if label:
        return str(label)
    return TONES[name].label if name in TONES else name
