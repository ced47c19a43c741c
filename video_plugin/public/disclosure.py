"""What a site tells its viewers about a video being AI-generated (EU AI Act, Article 50): one answer for the
product page's note (``{% ai_video_note %}``) and the API's ``ai_video`` field.

The runner draws the label into the picture itself (``gpu_runner.scene.disclosure``); this is the page's side
of it: a sentence next to the player, the label the job asked for, and where anyone can check the video's
content credentials (C2PA), which the runner signs into the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext_noop

from gpu_runner.protocol import DEFAULT_DISCLOSURE_TEXT
from video_plugin.jobs.languages import base_language
from video_plugin.models import VideoJob

# The sentence next to the player, in English; ``{% ai_video_note %}`` shows it in the visitor's language
# (the label drawn into the picture is the job's own wording).
NOTE = gettext_noop(
    "This video is AI-generated: the presenter's voice and movements were made by a computer."
)
# The label drawn on a video whose brand kit sets no wording of its own, in the page's language: a German
# page's video says "KI-generiert" to its German viewers. Short, in the words each language's press and
# platforms use for it; the runner's fonts draw every script here (CJK, Arabic and Hebrew from their Noto
# fallbacks).
LABELS = {
    "ar": "مُنشأ بالذكاء الاصطناعي",
    "cs": "Vytvořeno pomocí AI",
    "da": "AI-genereret",
    "de": "KI-generiert",
    "en": DEFAULT_DISCLOSURE_TEXT,
    "es": "Generado por IA",
    "fi": "Tekoälyn tuottama",
    "fr": "Généré par IA",
    "he": "נוצר באמצעות בינה מלאכותית",
    "it": "Generato con IA",
    "ja": "AI生成",
    "ko": "AI 생성",
    "nb": "KI-generert",
    "nl": "Gegenereerd met AI",
    "no": "KI-generert",
    "pl": "Wygenerowane przez AI",
    "pt": "Gerado por IA",
    "sv": "AI-genererad",
    "tr": "Yapay zekâ ile üretildi",
    "zh": "AI生成",
}
CREDENTIALS_STANDARD = "C2PA"
# The Content Authenticity Initiative's public verifier reads a file's credentials from its URL.
VERIFY_URL = "https://contentcredentials.org/verify"


@dataclass(frozen=True)
class VideoDisclosure:
    """A finished video's disclosure: the label drawn on it, and whether and where its credentials verify.

    ``label`` is ``None`` when the job drew none (turned off, or a job older than labels); ``signed`` is
    ``None`` when the runner did not say; ``verify_url`` is ``None`` without a video URL.
    """

    label: str | None
    signed: bool | None
    verify_url: str | None
    note: str = NOTE

    def as_json(self) -> dict[str, Any]:
        """The ``ai_video`` field's part: ``ai_generated``, ``label`` and ``credentials``."""
        return {
            "ai_generated": True,
            "label": self.label,
            "credentials": {
                "standard": CREDENTIALS_STANDARD,
                "signed": self.signed,
                "verify_url": self.verify_url,
            },
        }


def verify_url(video_url: str) -> str:
    """The verifier's page for the video at ``video_url`` (absolute: the verifier fetches it)."""
    return f"{VERIFY_URL}?source={quote(video_url, safe='')}"


def label_in(language: str) -> str | None:
    """The default label in ``language`` (a page's language code, "pt-br"), or ``None`` for a language
    without one, whose videos get the English label and a note saying so."""
    return LABELS.get(base_language(language))


def label_of(job: VideoJob) -> str | None:
    """The label's wording as the job asked the runner to draw it, or ``None`` when it asked for none."""
    disclosure = job.disclosure if isinstance(job.disclosure, dict) else {}
    if not disclosure or disclosure.get("enabled") is False:
        return None
    text = disclosure.get("text")
    return text if isinstance(text, str) and text.strip() else None


def disclosure_for(job: VideoJob, video_url: str | None) -> VideoDisclosure:
    """The disclosure of ``job``'s video, whose absolute URL is ``video_url``."""
    credentials = job.credentials if isinstance(job.credentials, dict) else {}
    signed = credentials.get("signed")
    return VideoDisclosure(
        label=label_of(job),
        signed=signed if isinstance(signed, bool) else None,
        verify_url=verify_url(video_url) if video_url else None,
    )
