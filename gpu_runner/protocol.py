"""The contract between the Wagtail plugin and the GPU runner.

This module is the only one that ``video_plugin`` imports from ``gpu_runner``, so it uses the standard library
alone. It owns what both sides must agree on: the message shapes (``render_video`` on the render queue,
``video_event`` on the events queue, ``preview_voice`` on the preview queue) and how each is addressed
(:class:`Envelope`), the rules for what a job id and a voice id look like (and the language a voice id names),
the size limits of a presenter image, the characters removed from a script, what a finished video is composed
of (:class:`Composition`: layout, formats, brand, product), the storage-key layout, and the meaning of
``VIDEO_STORAGE_URL`` and ``BROKER_URL``.

Messages are plain JSON objects with a version ``v``. A message of an unknown version, or one that does not
validate, raises :class:`ProtocolError`; the consumer logs it and moves on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PROTOCOL_VERSION = 1

RENDER_QUEUE = "video-render"
EVENTS_QUEUE = "video-events"
RENDER_ACTOR = "render_video"
EVENT_ACTOR = "video_event"


@dataclass(frozen=True)
class RenderLane:
    """One render queue with its actor; all lanes carry the same ``render_video`` message."""

    queue: str
    actor: str
    priority: int  # Dramatiq actor priority: lower runs first


# The Redis broker has no per-message priority, so each kind of job has a lane of its own. A runner consumes
# every lane with its one worker thread, prefetching one message from each, and Dramatiq hands the thread the
# waiting message whose actor ranks first: an editor's click (or an API call), then a publish, then a batch.
INTERACTIVE_LANE = RenderLane(RENDER_QUEUE, RENDER_ACTOR, priority=0)
PUBLISH_LANE = RenderLane("video-render-publish", "render_video_publish", priority=50)
BATCH_LANE = RenderLane("video-render-batch", "render_video_batch", priority=100)
RENDER_LANES = (INTERACTIVE_LANE, PUBLISH_LANE, BATCH_LANE)
_LANE_OF_TRIGGER = {
    "editor": INTERACTIVE_LANE,
    "api": INTERACTIVE_LANE,
    "publish": PUBLISH_LANE,
    "batch": BATCH_LANE,
}


def render_lane(trigger: str) -> RenderLane:
    """The lane of a job started by ``trigger`` (``editor``, ``api``, ``publish`` or ``batch``)."""
    try:
        return _LANE_OF_TRIGGER[trigger]
    except KeyError:
        raise ProtocolError(f"no render lane for trigger {trigger!r}") from None


# A voice preview (a fixed sample sentence, TTS only) has a queue of its own, which the runner consumes on a
# separate worker thread: an editor trying voices never waits behind a render.
PREVIEW_QUEUE = "video-preview"
PREVIEW_ACTOR = "preview_voice"

STAGES = ("tts", "face", "audio", "render", "encode", "compose", "upload")
EVENT_TYPES = ("started", "progress", "succeeded", "failed", "cancelled")
RENDERERS = ("still", "hallo2")

# Limits enforced by both sides: the plugin refuses early, the runner refuses again because it trusts no one.
MAX_SCRIPT_CHARS = 3000
MAX_OPTIONS_BYTES = 4096
# A presenter photo larger than these is refused with image_too_large before it is decoded. The editor's face
# check applies them first too, so it never reports "no face" in a photo the runner would refuse for its size.
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


class ErrorCode:
    """Machine-readable reasons a job fails. The message beside the code is for people."""

    BAD_MESSAGE = "bad_message"
    NO_IMAGE = "no_image"
    IMAGE_NOT_ALLOWED = "image_not_allowed"
    # The photo is no presenter of the organization's, or the presenter's consent (or licence) is not valid.
    NOT_A_PRESENTER = "not_a_presenter"
    NO_CONSENT = "no_consent"
    IMAGE_UNREADABLE = "image_unreadable"
    IMAGE_TOO_LARGE = "image_too_large"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    EMPTY_SCRIPT = "empty_script"
    SCRIPT_TOO_LONG = "script_too_long"
    UNKNOWN_VOICE = "unknown_voice"
    TTS_FAILED = "tts_failed"
    AUDIO_TOO_LONG = "audio_too_long"
    RENDER_FAILED = "render_failed"
    OUT_OF_MEMORY = "out_of_memory"
    STORAGE_UNREACHABLE = "storage_unreachable"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    INTERNAL = "internal"


class ProtocolError(ValueError):
    """A message that does not follow this contract."""


# --- ids and text -------------------------------------------------------------------------------------------

# The job ids the plugin makes, and the only ones the runner echoes back or the job API routes accept.
JOB_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
JOB_ID_RE = re.compile(JOB_ID_PATTERN)


def is_job_id(value: object) -> bool:
    """Whether ``value`` is a job id: 1 to 64 of ``A-Z a-z 0-9 _ -``."""
    return isinstance(value, str) and JOB_ID_RE.fullmatch(value) is not None


# A voice id names its engine, "engine:voice" (espeak:en-us, edge:en-US-JennyNeural): the runner picks the
# engine by the prefix and records which one spoke.
VOICE_ID_PATTERN = r"[a-z][a-z0-9_]*:[A-Za-z0-9_.\-]+"
VOICE_ID_RE = re.compile(VOICE_ID_PATTERN)
MAX_VOICE_ID_CHARS = 200


def check_voice_id(value: object) -> str:
    """``value`` when it is a voice id (``engine:voice``, at most :data:`MAX_VOICE_ID_CHARS` characters).

    Raises:
        ProtocolError: naming the value and the shape a voice id has.
    """
    if not isinstance(value, str):
        raise ProtocolError(f"voice must be a string such as 'espeak:en-us', got {type(value).__name__}")
    if len(value) > MAX_VOICE_ID_CHARS:
        raise ProtocolError(
            f"voice {value[:40]!r}… has {len(value)} characters; a voice id has at most {MAX_VOICE_ID_CHARS}"
        )
    if not VOICE_ID_RE.fullmatch(value):
        raise ProtocolError(
            f"voice {value!r} is not an engine-qualified voice id; write engine:voice, e.g. 'espeak:en-us' "
            "or 'edge:en-US-JennyNeural'"
        )
    return value


def image_size_problem(
    name: str,
    *,
    size_bytes: int | None = None,
    width: int | None = None,
    height: int | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> str | None:
    """Why a presenter image of this size is refused, naming ``name``, its size and the limit; else ``None``.

    Sizes not known (``None``) are not judged.
    """
    if size_bytes is not None and size_bytes > max_bytes:
        return (
            f"{name} is {size_bytes / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Upload a smaller photo."
        )
    if width and height and width * height > max_pixels:
        return (
            f"{name} is {width}×{height} pixels ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{max_pixels / 1e6:.0f} megapixels. Upload a smaller photo."
        )
    return None


# Every engine names a voice by a language tag, then perhaps more: espeak's "en-us", "cmn-latn-pinyin",
# "en-gb-x-rp"; Edge's "en-US-AriaNeural", "zh-CN-shaanxi-XiaoniNeural" (the locale, then the speaker).
_VOICE_LANGUAGE_RE = re.compile(
    r"(?P<language>[A-Za-z]{2,3})(?:[-_](?P<script>[A-Za-z]{4}))?(?:[-_](?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:[-_].*)?"
)


def voice_language(voice_id: str) -> str | None:
    """The BCP 47 tag (language, script, region) a voice speaks, read from its id; ``None`` when it says none.

    ``espeak:en-us`` → ``en-US``, ``edge:en-US-AriaNeural`` → ``en-US``, ``espeak:cmn-latn-pinyin`` →
    ``cmn-Latn``, ``espeak:es-419`` → ``es-419``, ``espeak:de`` → ``de``. Variants and private-use parts
    (``-x-rp``, a dialect, a speaker's name) are left out: the tag says which language, not which voice.
    """
    if not isinstance(voice_id, str) or not VOICE_ID_RE.fullmatch(voice_id):
        return None
    match = _VOICE_LANGUAGE_RE.fullmatch(voice_id.partition(":")[2])
    if not match:
        return None
    tag = [match["language"].lower()]
    if match["script"]:
        tag.append(match["script"].title())
    if match["region"]:
        tag.append(match["region"].upper())
    return "-".join(tag)


# Characters nobody can speak or see, which can only hide or disguise text: C0 controls except tab, line feed
# and carriage return; DEL; C1 controls; zero-width spaces, joiners and direction marks (U+200B-U+200F); the
# line and paragraph separators and bidi embeddings and overrides (U+2028-U+202E); bidi isolates
# (U+2066-U+2069). PostgreSQL also refuses to store NUL, so a pasted one must never reach a save.
CONTROL_CHARACTERS_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]"
)


def without_control_characters(text: str) -> str:
    """``text`` with :data:`CONTROL_CHARACTERS_RE` removed; tabs, line feeds and carriage returns stay."""
    return CONTROL_CHARACTERS_RE.sub("", text)


# --- finished videos: layouts, formats, brand ---------------------------------------------------------------

# The talking head is rendered once; each requested format is composed from it (gpu_runner.compose).
LAYOUTS = ("presenter", "presenter_product", "social")
LAYOUT_LABELS = {
    "presenter": "Presenter",
    "presenter_product": "Presenter and product",
    "social": "Social (vertical, captions)",
}


@dataclass(frozen=True)
class VideoFormat:
    """One output shape: H.264 High, yuv420p, AAC, faststart, with a poster of its own."""

    name: str
    width: int
    height: int
    aspect: str
    label: str


FORMATS = {
    f.name: f
    for f in (
        VideoFormat("landscape", 1920, 1080, "16:9", "Product page (16:9)"),
        VideoFormat("square", 1080, 1080, "1:1", "Feed (1:1)"),
        VideoFormat("vertical", 1080, 1920, "9:16", "Stories and shorts (9:16)"),
    )
}
# What *social* defaults to when a job names no format; the other layouts default to the product page's.
DEFAULT_FORMATS = {"presenter": ("landscape",), "presenter_product": ("landscape",), "social": ("vertical",)}

# Font families the runner bundles (each with fallbacks for Arabic and CJK text it cannot draw itself).
FONTS = {"noto-sans": "Noto Sans", "noto-serif": "Noto Serif"}
DEFAULT_FONT = "noto-sans"
# Integrated loudness targets (LUFS, ITU-R BS.1770): social platforms normalise to about -14; a product page
# plays beside other media at a calmer level.
LOUDNESS_TARGETS = {"presenter": -16.0, "presenter_product": -16.0, "social": -14.0}
MAX_PRODUCT_NAME_CHARS = 200
MAX_PRODUCT_PRICE_CHARS = 40
MAX_PRODUCT_IMAGES = 8
MAX_CARD_SECONDS = 10.0
# Background music longer than this is trimmed (and the job says so); a logo larger than these is left out.
MAX_MUSIC_SECONDS = 600.0
MAX_MUSIC_BYTES = 50 * 1024 * 1024
MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 16_000_000
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_colour(value: object, name: str) -> str:
    """A ``#rrggbb`` colour, lower-cased; raises :class:`ProtocolError` otherwise."""
    if not isinstance(value, str) or not _COLOUR_RE.match(value):
        raise ProtocolError(f"{name} {str(value)[:20]!r} is not a colour: write it as #rrggbb")
    return value.lower()


def check_layout(value: object) -> str:
    if value not in LAYOUTS:
        raise ProtocolError(f"unknown layout {str(value)[:40]!r}; valid layouts: {', '.join(LAYOUTS)}")
    return str(value)


def check_formats(value: object) -> tuple[str, ...]:
    """A non-empty list of distinct format names, in :data:`FORMATS` order."""
    if not isinstance(value, list | tuple) or not value:
        raise ProtocolError(f"formats must be a non-empty list of: {', '.join(FORMATS)}")
    unknown = [str(name)[:40] for name in value if name not in FORMATS]
    if unknown:
        raise ProtocolError(f"unknown format {unknown[0]!r}; valid formats: {', '.join(FORMATS)}")
    return tuple(name for name in FORMATS if name in value)


@dataclass(frozen=True)
class Brand:
    """An organization's brand kit as the runner needs it. ``version`` changes whenever the kit does, so a
    finished video is reused only for the kit it was made with. Asset keys are filed by the web side under
    the organization's prefix (:func:`asset_key`); an empty key means none."""

    primary_colour: str = "#1f3a5f"
    secondary_colour: str = "#f4f1ea"
    font: str = DEFAULT_FONT
    logo_key: str = ""
    music_key: str = ""
    intro_s: float = 0.0
    outro_s: float = 0.0
    version: str = "default"

    @classmethod
    def from_dict(cls, data: Any, organization_id: int) -> Brand:
        if not isinstance(data, dict):
            raise ProtocolError("brand must be an object")
        brand = cls(
            primary_colour=check_colour(data.get("primary_colour", cls.primary_colour), "primary_colour"),
            secondary_colour=check_colour(
                data.get("secondary_colour", cls.secondary_colour), "secondary_colour"
            ),
            font=str(data.get("font", DEFAULT_FONT)),
            logo_key=str(data.get("logo_key") or ""),
            music_key=str(data.get("music_key") or ""),
            intro_s=_seconds(data.get("intro_s", 0.0), "intro_s"),
            outro_s=_seconds(data.get("outro_s", 0.0), "outro_s"),
            version=str(data.get("version") or "default")[:64],
        )
        if brand.font not in FONTS:
            raise ProtocolError(f"unknown font {brand.font[:40]!r}; valid fonts: {', '.join(FONTS)}")
        for key in (brand.logo_key, brand.music_key):
            check_asset_key(key, organization_id)
        return brand


def _seconds(value: object, name: str) -> float:
    if not isinstance(value, int | float) or not 0.0 <= float(value) <= MAX_CARD_SECONDS:
        raise ProtocolError(f"{name} must be a number of seconds from 0 to {MAX_CARD_SECONDS:g}")
    return float(value)


@dataclass(frozen=True)
class Composition:
    """What a job's finished videos look like: one rendition per format, all composed from one render.

    ``product_image_keys`` are the page's pictures (main image first, then its gallery), filed by the web side
    under the organization's prefix. ``loudness_lufs`` is the integrated loudness the finished sound is
    normalised to; it defaults to the layout's :data:`LOUDNESS_TARGETS`.
    """

    layout: str = "presenter"
    formats: tuple[str, ...] = ("landscape",)
    burn_captions: bool = False
    product_name: str = ""
    product_price: str = ""
    product_image_keys: tuple[str, ...] = ()
    brand: Brand = field(default_factory=Brand)
    loudness_lufs: float | None = None

    @property
    def loudness_target(self) -> float:
        return self.loudness_lufs if self.loudness_lufs is not None else LOUDNESS_TARGETS[self.layout]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["formats"] = list(self.formats)
        data["product_image_keys"] = list(self.product_image_keys)
        return data

    @classmethod
    def from_dict(cls, data: Any, organization_id: int) -> Composition:
        if not isinstance(data, dict):
            raise ProtocolError("composition must be an object")
        layout = check_layout(data.get("layout", "presenter"))
        formats = check_formats(data.get("formats") or list(DEFAULT_FORMATS[layout]))
        burn = data.get("burn_captions", layout == "social")
        if not isinstance(burn, bool):
            raise ProtocolError("burn_captions must be true or false")
        name = without_control_characters(str(data.get("product_name") or "")).strip()
        price = without_control_characters(str(data.get("product_price") or "")).strip()
        if len(name) > MAX_PRODUCT_NAME_CHARS or len(price) > MAX_PRODUCT_PRICE_CHARS:
            raise ProtocolError(
                f"product_name is limited to {MAX_PRODUCT_NAME_CHARS} characters and product_price to "
                f"{MAX_PRODUCT_PRICE_CHARS}"
            )
        images = data.get("product_image_keys") or []
        if not isinstance(images, list | tuple) or len(images) > MAX_PRODUCT_IMAGES:
            raise ProtocolError(f"product_image_keys must be a list of at most {MAX_PRODUCT_IMAGES} keys")
        for key in images:
            if not isinstance(key, str) or not key:
                raise ProtocolError("product_image_keys must be storage keys")
            check_asset_key(key, organization_id)
        loudness = data.get("loudness_lufs")
        if loudness is not None and (not isinstance(loudness, int | float) or not -30.0 <= loudness <= -9.0):
            raise ProtocolError("loudness_lufs must be a number from -30 to -9")
        return cls(
            layout=layout,
            formats=formats,
            burn_captions=burn,
            product_name=name,
            product_price=price,
            product_image_keys=tuple(images),
            brand=Brand.from_dict(data.get("brand") or {}, organization_id),
            loudness_lufs=float(loudness) if loudness is not None else None,
        )


@dataclass(frozen=True)
class Rendition:
    """One composed format of a finished video, as stored."""

    format: str
    key: str
    poster_key: str
    width: int
    height: int
    duration_s: float
    bytes: int
    sha256: str
    layout: str
    captions_burned: bool
    # The encoder that made it ("libx264", or a GPU's hardware encoder such as "h264_nvenc").
    encoder: str

    @classmethod
    def from_dict(cls, data: Any) -> Rendition:
        try:
            rendition = cls(**data)
        except TypeError as exc:
            raise ProtocolError(f"malformed rendition: {exc}") from None
        if rendition.format not in FORMATS:
            raise ProtocolError(f"unknown format {rendition.format!r}")
        return rendition


# --- storage keys -------------------------------------------------------------------------------------------

# Keys are built from integers and a random token only, never from user text.
TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
TOKEN_LENGTH = 16
VIDEO_KEY_RE = re.compile(
    r"^(?P<org>[1-9]\d{0,18})/videos/ai-generated/(?P<page>[1-9]\d{0,18})-(?P<token>[0-9a-z]{16})\.mp4$"
)


def video_key(organization_id: int, page_id: int, token: str) -> str:
    """``{org_id}/videos/ai-generated/{page_id}-{token}.mp4``; the poster and captions sit beside it."""
    key = f"{int(organization_id)}/videos/ai-generated/{int(page_id)}-{token}.mp4"
    if not VIDEO_KEY_RE.match(key):
        raise ProtocolError(
            f"cannot build a video key from token {token!r}: expected {TOKEN_LENGTH} of [0-9a-z]"
        )
    return key


PRESENTER_KEY_RE = re.compile(
    r"^(?P<org>[1-9]\d{0,18})/presenters/(?P<digest>[0-9a-f]{64})\.(?P<ext>[a-z0-9]{1,5})$"
)


def presenter_key(organization_id: int, digest: str, extension: str) -> str:
    """``{org_id}/presenters/{sha256}.{ext}``: the organization's copy of a presenter photo it may use.

    The web side files a job's photo here after checking that the organization may use it; the runner reads
    photos from nowhere else (:func:`check_image_key`). The content hash names it, so a photo used by many
    jobs is stored once and the key cannot be guessed without the photo.
    """
    return asset_key(organization_id, "presenters", digest, extension)


def poster_key(key: str) -> str:
    return key[: -len(".mp4")] + ".jpg"


def captions_key(key: str) -> str:
    return key[: -len(".mp4")] + ".vtt"


def rendition_key(key: str, format_name: str) -> str:
    """The video of one format beside the main video: ``…/{page_id}-{token}.{format}.mp4``."""
    if format_name not in FORMATS:
        raise ProtocolError(f"unknown format {format_name!r}")
    organization_of_key(key)
    return key[: -len(".mp4")] + f".{format_name}.mp4"


ASSET_KEY_RE = re.compile(
    r"^(?P<org>[1-9]\d{0,18})/(?P<kind>presenters|products|brand)/(?P<digest>[0-9a-f]{64})\.(?P<ext>[a-z0-9]{1,5})$"
)
ASSET_KINDS = ("presenters", "products", "brand")


def asset_key(organization_id: int, kind: str, digest: str, extension: str) -> str:
    """``{org_id}/{kind}/{sha256}.{ext}``: the organization's copy of a file a job may read.

    ``kind`` is ``presenters``, ``products`` (a page's product pictures) or ``brand`` (logo, music). As with
    presenter photos, the web side files a copy only after checking the organization may use the file, and
    the content hash names it.
    """
    key = f"{int(organization_id)}/{kind}/{digest}.{extension.lower().lstrip('.')}"
    if kind not in ASSET_KINDS or not ASSET_KEY_RE.match(key):
        raise ProtocolError(f"cannot build a {kind} key from {digest!r} and {extension!r}")
    return key


def check_asset_key(key: str, organization_id: int) -> None:
    """Refuse a product-picture, logo or music key outside the job's organization's filed copies."""
    match = ASSET_KEY_RE.match(key)
    if key and not (match and int(match["org"]) == organization_id):
        raise ProtocolError(
            f"asset key {key[:80]!r} is not one of organization {organization_id}'s filed copies "
            f"('{organization_id}/products/…' or '{organization_id}/brand/…')"
        )


def organization_of_key(key: str) -> int:
    match = VIDEO_KEY_RE.match(key)
    if not match:
        raise ProtocolError(f"not a video key: {key!r}")
    return int(match["org"])


def voice_preview_key(voice: str) -> str:
    """``voice-previews/{sha256(voice)[:24]}.m4a``: the sample of one voice, shared by every organization.

    Only a hash of the voice id reaches the key, so nothing a user typed does. The JSON beside it
    (:func:`voice_preview_info_key`) says which voice was actually heard.
    """
    digest = hashlib.sha256(voice.encode("utf-8")).hexdigest()[:24]
    return f"voice-previews/{digest}.m4a"


def voice_preview_info_key(voice: str) -> str:
    """The JSON record beside a preview; the runner writes it last, so its presence means the audio is there.

    Its keys: ``v``, ``voice`` (asked for), ``voice_used``, ``engine``, ``fallbacks`` (plain-words notes),
    ``sample`` (the sentence spoken), ``duration_s``, ``made_at`` (unix time).
    """
    return voice_preview_key(voice)[: -len(".m4a")] + ".json"


# --- storage location ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageLocation:
    """Where videos and images live, parsed from ``VIDEO_STORAGE_URL``.

    ``file:///abs/path`` or a bare path is a local folder (the embedded default);
    ``s3://bucket?endpoint=https://…&region=auto&public_url=https://cdn.example`` is S3 or Cloudflare R2.
    Credentials never appear here: they come from the standard AWS environment variables.
    """

    kind: str  # "local" or "s3"
    path: str = ""
    bucket: str = ""
    endpoint: str | None = None
    region: str = "auto"
    public_url: str | None = None
    prefix: str = ""


def parse_storage_url(url: str) -> StorageLocation:
    if not url:
        raise ProtocolError("VIDEO_STORAGE_URL is empty; set a folder path or s3://bucket?endpoint=…")
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        path = unquote(parts.path if parts.scheme else url)
        if not path:
            raise ProtocolError(f"VIDEO_STORAGE_URL {url!r} names no folder")
        return StorageLocation(kind="local", path=path)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ProtocolError(f"VIDEO_STORAGE_URL {url!r} names no bucket: use s3://BUCKET?endpoint=…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "public_url"}
        if unknown:
            raise ProtocolError(f"VIDEO_STORAGE_URL has unknown parameter(s) {sorted(unknown)}")
        # The URL is logged and shown in error messages, so a key written into it would leak with them.
        hosts = {"bucket": parts.netloc, **{name: urlsplit(value).netloc for name, value in query.items()}}
        for where, host in hosts.items():
            if "@" in host:
                raise ProtocolError(
                    f"VIDEO_STORAGE_URL carries credentials in its {where}; remove the 'user:password@' part "
                    "and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
                )
        return StorageLocation(
            kind="s3",
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=query.get("endpoint") or None,
            region=query.get("region") or "auto",
            public_url=(query.get("public_url") or "").rstrip("/") or None,
        )
    raise ProtocolError(f"VIDEO_STORAGE_URL scheme {parts.scheme!r} is not supported: use a folder or s3://")


# --- broker -------------------------------------------------------------------------------------------------

# The scheme of ``BROKER_URL`` picks the Dramatiq broker, the same on both sides: the plugin sends where the
# runners consume. Redis stays the shared state store either way (runner capabilities, cancellation flags).
BROKER_KINDS = {"redis": "redis", "rediss": "redis", "amqp": "rabbitmq", "amqps": "rabbitmq"}


def broker_kind(url: str, setting: str = "BROKER_URL") -> str:
    """``"redis"`` or ``"rabbitmq"`` for the broker URL held by ``setting``; anything else raises a
    :class:`ProtocolError` naming ``setting`` (never the URL, which may carry a password)."""
    scheme = urlsplit(url).scheme.lower() if url else ""
    try:
        return BROKER_KINDS[scheme]
    except KeyError:
        schemes = ", ".join(f"{name}://" for name in BROKER_KINDS)
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        raise ProtocolError(f"{setting} has {shown}; a broker URL must use one of {schemes}") from None


def queue_arguments_problem(queue: str, refusal: str) -> str:
    """What to do when RabbitMQ refused to declare ``queue`` because it exists with other arguments."""
    return (
        f"RabbitMQ at BROKER_URL already has a queue {queue!r} declared with other arguments than Dramatiq's "
        f"(durable, dead-lettered to {queue}.XQ): {refusal}. Delete that queue and its .DQ and .XQ "
        f"(`rabbitmqctl delete_queue {queue}`; they are declared anew), or give the site and the runners a "
        "virtual host of their own in BROKER_URL (amqp://user:password@host/vhost)."
    )


# --- messages -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """One message addressed by name: the queue it goes on, the actor that takes it, its keyword arguments.

    Each side turns an envelope into a Dramatiq message with its own small sender
    (``video_plugin.jobs.messaging``, ``gpu_runner.messaging``), so neither imports the other's actors. The
    actors declare exactly these keywords: ``render_video(request)``, ``preview_voice(request)``,
    ``video_event(event)``.
    """

    queue: str
    actor: str
    kwargs: dict[str, Any]


def _require(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in data:
        raise ProtocolError(f"missing field {name!r}")
    value = data[name]
    # bool is an int subclass; a True page id is a malformed message, not page 1.
    if isinstance(value, bool) and kind is not bool:
        raise ProtocolError(f"field {name!r} must be {kind}, got a boolean")
    if not isinstance(value, kind):
        raise ProtocolError(f"field {name!r} must be {kind}, got {type(value).__name__}")
    return value


def _check_version(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(f"message must be a JSON object, got {type(data).__name__}")
    version = data.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported message version {version!r}; this side speaks v{PROTOCOL_VERSION}")
    return data


DISCLOSURE_POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right")
DEFAULT_DISCLOSURE_TEXT = "AI-generated"
MAX_DISCLOSURE_CHARS = 40


@dataclass(frozen=True)
class Disclosure:
    """The visible label telling viewers that the video is AI-generated (EU AI Act, Article 50(4)).

    Drawn on every frame of every rendition; ``enabled`` is false only where the site's operator turned it
    off (the job records that).
    """

    text: str = DEFAULT_DISCLOSURE_TEXT
    position: str = "top_left"
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Disclosure:
        if not isinstance(data, dict):
            raise ProtocolError("disclosure must be an object")
        text = without_control_characters(str(data.get("text") or DEFAULT_DISCLOSURE_TEXT)).strip()
        if not text or len(text) > MAX_DISCLOSURE_CHARS:
            raise ProtocolError(f"disclosure text must be 1 to {MAX_DISCLOSURE_CHARS} characters")
        position = data.get("position", "top_left")
        if position not in DISCLOSURE_POSITIONS:
            raise ProtocolError(
                f"disclosure position {position!r} is not one of {', '.join(DISCLOSURE_POSITIONS)}"
            )
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ProtocolError("disclosure enabled must be true or false")
        return cls(text=text, position=position, enabled=enabled)


PRESENTER_KINDS = ("person", "synthetic")


@dataclass(frozen=True)
class Provenance:
    """What a video's content credentials say about whose video it is and whose face it shows.

    ``presenter_consent`` is the reference of the consent record (or, for a synthetic presenter, of its
    licence record): an id the organization can look up, never a person's name.
    """

    organization_id: int
    organization: str
    presenter_consent: str
    presenter_kind: str = "person"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Provenance:
        if not isinstance(data, dict):
            raise ProtocolError("provenance must be an object")
        kind = data.get("presenter_kind", "person")
        if kind not in PRESENTER_KINDS:
            raise ProtocolError(f"presenter_kind {kind!r} is not one of {', '.join(PRESENTER_KINDS)}")
        return cls(
            organization_id=_require(data, "organization_id", int),
            organization=without_control_characters(_require(data, "organization", str))[:200],
            presenter_consent=_require(data, "presenter_consent", str)[:100],
            presenter_kind=kind,
        )


@dataclass(frozen=True)
class RenderRequest:
    """``render_video``: one job for the runner."""

    job_id: str
    organization_id: int
    page_id: int
    image_key: str
    script: str
    voice: str
    renderer: str
    output_key: str
    options: dict[str, Any] = field(default_factory=dict)
    # The finished videos to compose from the talking head; ``None``: the talking head alone.
    composition: Composition | None = None
    disclosure: Disclosure = field(default_factory=Disclosure)
    # Stated in the videos' content credentials; ``None`` only from a sender older than consent records.
    provenance: Provenance | None = None
    v: int = PROTOCOL_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["composition"] = self.composition.to_dict() if self.composition else None
        data["provenance"] = self.provenance.to_dict() if self.provenance else None
        return data

    @classmethod
    def from_dict(cls, data: Any) -> RenderRequest:
        data = _check_version(data)
        request = cls(
            job_id=_require(data, "job_id", str),
            organization_id=_require(data, "organization_id", int),
            page_id=_require(data, "page_id", int),
            image_key=_require(data, "image_key", str),
            script=_require(data, "script", str),
            voice=_require(data, "voice", str),
            renderer=_require(data, "renderer", str),
            output_key=_require(data, "output_key", str),
            options=data.get("options") or {},
            composition=(
                Composition.from_dict(data["composition"], data["organization_id"])
                if data.get("composition") is not None
                else None
            ),
            disclosure=Disclosure.from_dict(data.get("disclosure") or {}),
            provenance=(
                Provenance.from_dict(data["provenance"]) if data.get("provenance") is not None else None
            ),
        )
        request.validate()
        return request

    def validate(self) -> None:
        if not is_job_id(self.job_id):
            raise ProtocolError(f"job_id {self.job_id[:80]!r} is not a job id (1 to 64 of A-Z a-z 0-9 _ -)")
        if self.organization_id <= 0 or self.page_id <= 0:
            raise ProtocolError("organization_id and page_id must be positive")
        if organization_of_key(self.output_key) != self.organization_id:
            raise ProtocolError(
                f"output_key {self.output_key!r} is outside organization {self.organization_id}"
            )
        if not isinstance(self.options, dict):
            raise ProtocolError("options must be an object")
        if len(repr(self.options)) > MAX_OPTIONS_BYTES:
            raise ProtocolError("options are too large")
        check_image_key(self.image_key, self.organization_id)
        check_voice_id(self.voice)
        if self.provenance is not None and self.provenance.organization_id != self.organization_id:
            raise ProtocolError("provenance names another organization than the job's")

    def envelope(self, trigger: str) -> Envelope:
        """This request addressed to the render lane of ``trigger`` (see :func:`render_lane`)."""
        self.validate()
        lane = render_lane(trigger)
        return Envelope(lane.queue, lane.actor, {"request": self.to_dict()})


# Control characters (NUL above all) and backslashes mean nothing in an object key but can mean a lot to a
# file system.
_KEY_FORBIDDEN_RE = re.compile(r"[\x00-\x1f\x7f\\]")
_ORG_PREFIX_RE = re.compile(r"^(\d+)/")


def check_image_key(key: str, organization_id: int) -> None:
    """Refuse an ``image_key`` that could read outside the job's own organization's objects.

    A storage-relative key has no ``..`` segment, no leading ``/``, no control characters or backslashes,
    and starts with the job's own organization's prefix (``{org_id}/``): the web side vouches for a photo by
    filing the organization's copy there (:func:`presenter_key`), so the runner never reads an upload
    (``original_images/…``) or another organization's objects on a message's word. An empty key passes: the
    runner fails that job with ``no_image``, a reason the editor can act on.
    """
    segments = key.split("/")
    if (
        len(key) > 1024
        or key.startswith("/")
        or ".." in segments
        or "." in segments
        or _KEY_FORBIDDEN_RE.search(key)
    ):
        raise ProtocolError(f"image_key {key[:80]!r} is not a storage key (relative, no '..', at most 1024)")
    prefix = _ORG_PREFIX_RE.match(key)
    if key and not (prefix and int(prefix[1]) == organization_id):
        raise ProtocolError(
            f"image_key {key[:80]!r} is outside organization {organization_id}: the runner reads only the "
            f"photos the web side filed under '{organization_id}/'"
        )


@dataclass(frozen=True)
class PreviewRequest:
    """``preview_voice``: speak the runner's sample sentence in ``voice`` and store it at its preview key."""

    voice: str
    v: int = PROTOCOL_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PreviewRequest:
        request = cls(voice=_require(_check_version(data), "voice", str))
        request.validate()
        return request

    def validate(self) -> None:
        check_voice_id(self.voice)

    def envelope(self) -> Envelope:
        """This request addressed to ``preview_voice`` on :data:`PREVIEW_QUEUE`."""
        self.validate()
        return Envelope(PREVIEW_QUEUE, PREVIEW_ACTOR, {"request": self.to_dict()})


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    retryable: bool = False


@dataclass(frozen=True)
class RenderResult:
    """What a succeeded job produced, and what produced it."""

    key: str
    poster_key: str
    captions_key: str | None
    duration_s: float
    width: int
    height: int
    bytes: int
    sha256: str
    timings: dict[str, float]
    voice_engine: str
    voice: str  # the voice id heard, engine-qualified like every voice id ("espeak:en-us"), not the bare name
    renderer: str
    weights: str
    fallbacks: list[str] = field(default_factory=list)
    # One per requested format (:class:`Rendition` as a dict), main video first in none of them.
    renditions: list[dict[str, Any]] = field(default_factory=list)
    # The finished sound: {"target_lufs", "integrated_lufs", "music": bool}; empty without a composition.
    audio: dict[str, Any] = field(default_factory=dict)
    # The videos' content credentials (C2PA): {"signed": true, "issuer", "manifest"} or {"signed": false,
    # "reason"} where the runner's operator switched signing off.
    credentials: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VideoEvent:
    """``video_event``: the runner's report on a job. Consumers are idempotent by ``(job_id, attempt)``."""

    job_id: str
    attempt: int
    type: str
    stage: str | None = None
    fraction: float | None = None
    eta_s: float | None = None
    result: RenderResult | None = None
    error: JobError | None = None
    # Facts known before the job ends (engine and voice after TTS, renderer at start), so the record stays
    # true even for a failed job.
    info: dict[str, Any] = field(default_factory=dict)
    sent_at: float = 0.0
    v: int = PROTOCOL_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def envelope(self) -> Envelope:
        """This event addressed to ``video_event`` on :data:`EVENTS_QUEUE`."""
        return Envelope(EVENTS_QUEUE, EVENT_ACTOR, {"event": self.to_dict()})

    @classmethod
    def from_dict(cls, data: Any) -> VideoEvent:
        data = _check_version(data)
        event_type = _require(data, "type", str)
        if event_type not in EVENT_TYPES:
            raise ProtocolError(f"unknown event type {event_type!r}")
        stage = data.get("stage")
        if stage is not None and stage not in STAGES:
            raise ProtocolError(f"unknown stage {stage!r}")
        fraction = data.get("fraction")
        if fraction is not None and (not isinstance(fraction, int | float) or not 0.0 <= fraction <= 1.0):
            raise ProtocolError(f"fraction {fraction!r} is not within 0..1")
        result = data.get("result")
        error = data.get("error")
        try:
            parsed_result = RenderResult(**result) if result is not None else None
            parsed_error = JobError(**error) if error is not None else None
        except TypeError as exc:
            raise ProtocolError(f"malformed result or error: {exc}") from None
        if event_type == "succeeded" and parsed_result is None:
            raise ProtocolError("a succeeded event carries a result")
        if event_type == "failed" and parsed_error is None:
            raise ProtocolError("a failed event carries an error")
        if parsed_result is not None:
            organization_of_key(parsed_result.key)
            check_voice_id(parsed_result.voice)
            if not math.isfinite(parsed_result.duration_s) or parsed_result.duration_s <= 0:
                raise ProtocolError("result duration must be a positive number")
            if not isinstance(parsed_result.renditions, list):
                raise ProtocolError("renditions must be a list")
            for reported in parsed_result.renditions:
                rendition = Rendition.from_dict(reported)
                expected = rendition_key(parsed_result.key, rendition.format)
                if rendition.key != expected or rendition.poster_key != poster_key(expected):
                    raise ProtocolError(f"rendition {rendition.key[:80]!r} is not beside its main video")
        eta = data.get("eta_s")
        return cls(
            job_id=_require(data, "job_id", str),
            attempt=_require(data, "attempt", int),
            type=event_type,
            stage=stage,
            fraction=float(fraction) if fraction is not None else None,
            eta_s=float(eta) if isinstance(eta, int | float) else None,
            result=parsed_result,
            error=parsed_error,
            info=data.get("info") or {},
            sent_at=float(data.get("sent_at") or 0.0),
        )


# --- Redis keys shared by both sides ------------------------------------------------------------------------

# How long a runner's capabilities record outlives its last refresh; the runner refreshes it every ~10 s, so a
# record that is gone means the runner has been silent for this long.
RUNNER_TTL_S = 30
RUNNER_KEY_PREFIX = "aivideo:runners:"


def cancel_key(job_id: str) -> str:
    """The Redis key the plugin sets (any value, with a TTL) to ask the runner to stop ``job_id``."""
    return f"aivideo:cancel:{job_id}"


def runner_key(runner_id: str) -> str:
    """The Redis key holding one runner's capabilities as JSON, refreshed with a TTL of :data:`RUNNER_TTL_S`.

    The JSON object has these keys (readers must ignore keys they do not know)::

        v             int    PROTOCOL_VERSION
        runner_id     str    stable for the life of the process, "{host}-{pid}"
        host          str    the machine's host name
        renderer      object {"name": "still"|"hallo2", "weights": str}
        voices        object language code ("en", "de", …) -> list of voice ids ("espeak:en-us", "edge:…")
        default_voice str    the voice used when a job names none
        online        bool   whether the online TTS engine answered at boot
        status        str    "starting" | "ready" | "busy"
        jobs_done     int    jobs succeeded since boot
        jobs_failed   int    jobs failed since boot
        current_job   str|null
        updated_at    float  unix time of this record
    """
    return f"{RUNNER_KEY_PREFIX}{runner_id}"
