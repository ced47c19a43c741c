"""The plugin's records: presenters with their consent records, video jobs, the organizations' brand kits, the
job API's tokens, webhook endpoints with their delivery log, and the default tenancy's per-site settings."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from nanoid import generate as nanoid
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.documents import get_document_model_string
from wagtail.images import get_image_model_string
from wagtailmedia.settings import wagtailmedia_settings

from gpu_runner.protocol import (
    DEFAULT_FONT,
    DISCLOSURE_POSITIONS,
    FONTS,
    FORMATS,
    LAYOUT_LABELS,
    LAYOUTS,
    MAX_CARD_SECONDS,
    MAX_DISCLOSURE_CHARS,
    Brand,
    ProtocolError,
    check_colour,
    check_formats,
    check_voice_id,
)
from video_plugin.brand.voices_by_language import validate_voices_by_language
from video_plugin.webhooks.legacy_signing import standard_secret
from video_plugin.webhooks.redaction import redacted_url
from video_plugin.webhooks.signing import new_secret

try:  # Wagtail 8 makes Page swappable (WAGTAILCORE_PAGE_MODEL) through swapper; Wagtail 7.4 has neither.
    from swapper import get_model_name
except ImportError:

    def get_model_name(app_label: str, model: str) -> str:
        return f"{app_label}.{model}"


JOB_ID_LENGTH = 21


def validate_voice_id(value: str) -> None:
    """Django validator: the contract's voice-id rule (:func:`gpu_runner.protocol.check_voice_id`)."""
    try:
        check_voice_id(value)
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from None


def validate_colour(value: str) -> None:
    """Django validator: a ``#rrggbb`` colour (:func:`gpu_runner.protocol.check_colour`)."""
    try:
        check_colour(value, "colour")
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from None


def validate_formats(value: Any) -> None:
    """Django validator: a list of format names the runner knows (empty: the layout's default formats)."""
    if value in (None, [], ()):
        return
    try:
        check_formats(value)
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from None


# The contract's layout and format labels, shown in the editor's language; a layout or format the contract
# adds later shows its own (English) label until it is listed here.
LAYOUT_CHOICE_LABELS = {
    "presenter": _("Presenter"),
    "presenter_product": _("Presenter and product"),
    "social": _("Social (vertical, captions)"),
}
FORMAT_CHOICE_LABELS = {
    # Translators: keep the aspect ratios as they are.
    "landscape": _("Product page (16:9)"),
    "square": _("Feed (1:1)"),
    "vertical": _("Stories and shorts (9:16)"),
}
LAYOUT_CHOICES = [(name, LAYOUT_CHOICE_LABELS.get(name, LAYOUT_LABELS[name])) for name in LAYOUTS]
FORMAT_CHOICES = [
    (name, FORMAT_CHOICE_LABELS.get(name, video_format.label)) for name, video_format in FORMATS.items()
]


# The permission a Wagtail group needs to generate, cancel and switch videos under the default tenancy
# (video_plugin.site_tenancy); granted in Settings → Groups.
GENERATE_PERMISSION_CODENAME = "generate_video"
GENERATE_PERMISSION = f"video_plugin.{GENERATE_PERMISSION_CODENAME}"


def new_job_id() -> str:
    """A public job id: unguessable, URL-safe, and valid as the protocol's ``job_id``."""
    return nanoid(size=JOB_ID_LENGTH)


# --- presenters and their consent --------------------------------------------------------------------------


def new_consent_reference() -> str:
    """A consent or licence record's public reference: what a video's content credentials name, instead of
    the person."""
    return "cr_" + nanoid(size=18)


class Presenter(models.Model):
    """A face the organization may animate: a real person who consented, or a synthetic or licensed face.

    Generation uses a presenter, never a bare image: the photo a job animates must be a presenter's, and the
    presenter must be usable (:mod:`video_plugin.presenters.consent` says when and why not).
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("A real person, who consented")
        SYNTHETIC = (
            "synthetic",
            _("Not a real person's consent: a synthetic, stock or public-domain face (licence)"),
        )

    # An id, not a foreign key: the organization model belongs to the host (see video_plugin.tenancy).
    organization_id = models.PositiveBigIntegerField(db_index=True)
    name = models.CharField(
        max_length=120, help_text=_("How editors know this presenter, e.g. 'Anna (sales)'.")
    )
    photo = models.ForeignKey(
        get_image_model_string(),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("One face, facing the camera, from the organization's own images."),
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON)
    licence = models.TextField(
        blank=True,
        help_text=_(
            "Synthetic, stock or public-domain faces only: the licence allowing this use, and where "
            "it comes from."
        ),
    )
    licence_reference = models.CharField(
        max_length=24, default=new_consent_reference, editable=False, unique=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("presenter")
        verbose_name_plural = _("presenters")
        constraints = [
            # A photo is one presenter of an organization: a job's photo names its presenter unambiguously.
            models.UniqueConstraint(fields=["organization_id", "photo"], name="video_one_presenter_per_photo")
        ]

    def __str__(self) -> str:
        return self.name


class ConsentRecord(models.Model):
    """A presenter's agreement to be animated: who agreed, when, to what, until when, and the evidence.

    Records are never deleted while a video may rest on them; revoking one (:meth:`revoke`) stops new videos
    at once and keeps the record for the audit.
    """

    presenter = models.ForeignKey(Presenter, on_delete=models.PROTECT, related_name="consents")
    reference = models.CharField(max_length=24, default=new_consent_reference, editable=False, unique=True)
    consented_by = models.CharField(
        max_length=200,
        help_text=_("Who gave consent: the presenter, or the person entitled to consent for them."),
    )
    scope = models.CharField(
        max_length=300,
        default="Product videos of this organization",
        help_text=_("The use agreed to, as the signed form states it."),
    )
    valid_from = models.DateField(help_text=_("The day consent was given."))
    valid_until = models.DateField(null=True, blank=True, help_text=_("Empty: until revoked."))
    evidence = models.ForeignKey(
        get_document_model_string(),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The signed form or recording, uploaded to the organization's collection."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-valid_from", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="video_consent_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.reference} of {self.presenter}"

    def revoke(self, user: Any, note: str = "") -> None:
        """Withdraw consent now; the presenter's new videos stop at once (checked at every request)."""
        self.revoked_at = timezone.now()
        self.revoked_by = user if getattr(user, "is_authenticated", False) else None
        self.revocation_note = note[:300]
        self.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])


class VideoJob(models.Model):
    """A render job: ``queued → running → succeeded | failed | cancelled``.

    The runner reports on a job by ``job_id`` and ``attempt``; :mod:`video_plugin.jobs.lifecycle` applies
    those reports and is the only code that moves a job between states.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Trigger(models.TextChoices):
        # Translators: what asked for a video job: an editor in the page editor, a publish, the API, a batch.
        EDITOR = "editor", _("Editor")
        PUBLISH = "publish", _("Publish")
        API = "api", _("API")
        BATCH = "batch", _("Batch")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    job_id = models.CharField(max_length=64, unique=True, default=new_job_id, editable=False)
    # An id, not a foreign key: the organization model belongs to the host (see video_plugin.tenancy).
    organization_id = models.PositiveBigIntegerField(db_index=True)
    page = models.ForeignKey(
        get_model_name("wagtailcore", "Page"), on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=16, blank=True)
    fraction = models.FloatField(null=True, blank=True)
    eta_s = models.FloatField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    # The runner's clock on the last applied event, to drop reports that arrive out of order.
    last_event_at = models.FloatField(default=0.0)
    timings = models.JSONField(default=dict, blank=True)

    script = models.TextField(blank=True)
    voice = models.CharField(max_length=200, help_text=_("Requested voice, engine-qualified (espeak:en-us)."))
    voice_engine = models.CharField(max_length=32, blank=True, help_text=_("Engine that actually spoke."))
    voice_used = models.CharField(max_length=200, blank=True, help_text=_("Voice that actually spoke."))
    renderer = models.CharField(max_length=32, help_text=_("Requested renderer."))
    renderer_used = models.CharField(max_length=32, blank=True)
    weights = models.CharField(
        max_length=200, blank=True, help_text=_("Model weights version that rendered.")
    )
    fallbacks = models.JSONField(default=list, blank=True)

    image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whose face, and on what consent (or licence): the audit's facts, kept as they were when the job was
    # asked for, so a later revocation never rewrites history.
    presenter = models.ForeignKey(
        Presenter, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    consent = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    consent_reference = models.CharField(max_length=24, blank=True)
    # The visible "AI-generated" label asked for (protocol.Disclosure), and the content credentials the runner
    # reported (protocol.RenderResult.credentials: signed, or why not).
    disclosure = models.JSONField(default=dict, blank=True)
    credentials = models.JSONField(default=dict, blank=True)
    image_key = models.CharField(max_length=1024, blank=True)
    output_key = models.CharField(max_length=255, blank=True)
    captions_key = models.CharField(max_length=255, blank=True)
    input_hash = models.CharField(max_length=64, blank=True, db_index=True)

    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)

    media = models.ForeignKey(
        wagtailmedia_settings.MEDIA_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_current = models.BooleanField(default=False)
    # A finished editor video that the live page shows only once the page is next published, or someone who
    # may publish it makes it live (video_plugin.jobs.going_live).
    waits_for_publish = models.BooleanField(default=False)
    # The job API token that asked for the job (trigger "api"), so the panel can say which integration it was.
    api_token = models.ForeignKey(
        "ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The finished videos: what was asked for, and what the runner composed (gpu_runner.protocol.Composition).
    layout = models.CharField(max_length=32, default="presenter", choices=LAYOUT_CHOICES)
    formats = models.JSONField(default=list, blank=True, help_text=_("Format names from protocol.FORMATS."))
    burn_captions = models.BooleanField(default=False)
    # One protocol.Rendition dict per composed format, as the runner reported them.
    renditions = models.JSONField(default=list, blank=True)
    # The finished sound: {"target_lufs", "integrated_lufs", "music"} (protocol.RenderResult.audio).
    audio = models.JSONField(default=dict, blank=True)
    # The brand kit's version the job was composed with (BrandKit.version).
    brand_version = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("video job")
        verbose_name_plural = _("video jobs")
        permissions = [(GENERATE_PERMISSION_CODENAME, _("Can generate presenter videos"))]
        constraints = [
            models.UniqueConstraint(
                fields=["page"], condition=Q(is_current=True), name="video_one_current_per_page"
            ),
            # A second request for the same page joins the job in flight; the database keeps racing requests
            # honest.
            models.UniqueConstraint(
                fields=["page"],
                condition=Q(status__in=["queued", "running"]),
                name="video_one_active_per_page",
            ),
        ]

    def __str__(self) -> str:
        return f"video job {self.job_id} for page {self.page_id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    def as_status(self) -> dict[str, object]:
        """The job as the editor panel's JSON status."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "stage": self.stage or None,
            "fraction": self.fraction,
            "eta_s": self.eta_s,
            "error_code": self.error_code or None,
            "error_message": self.error_message or None,
            "video_url": self.media.url if self.media_id and self.status == self.Status.SUCCEEDED else None,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


# --- brand kits ---------------------------------------------------------------------------------------------

_DEFAULT_BRAND = Brand()
FONT_CHOICES = list(FONTS.items())
# The corners of the AI label, as the brand kit's form offers them.
DISCLOSURE_POSITION_LABELS = {
    "top_left": _("Top left"),
    "top_right": _("Top right"),
    "bottom_left": _("Bottom left"),
    "bottom_right": _("Bottom right"),
}
_card_seconds = [MinValueValidator(0.0), MaxValueValidator(MAX_CARD_SECONDS)]


class BrandKit(models.Model):
    """An organization's look and sound for finished videos, and its defaults for publish and batch jobs.

    An organization without one gets the defaults of :class:`gpu_runner.protocol.Brand`
    (:func:`video_plugin.jobs.composition.brand_kit_for`). :attr:`version` is part of each job's input hash,
    so a changed kit renders anew instead of reusing a video made with the old one.
    """

    # An id, not a foreign key: the organization model belongs to the host (see video_plugin.tenancy).
    organization_id = models.PositiveBigIntegerField(unique=True)
    logo = models.ForeignKey(
        get_image_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown in a corner of every format: a PNG with a clear background."),
    )
    primary_colour = models.CharField(
        max_length=7,
        default=_DEFAULT_BRAND.primary_colour,
        validators=[validate_colour],
        help_text=_("The background and the lower third, as #rrggbb."),
    )
    secondary_colour = models.CharField(
        max_length=7,
        default=_DEFAULT_BRAND.secondary_colour,
        validators=[validate_colour],
        help_text=_("Text and accents, as #rrggbb."),
    )
    font = models.CharField(max_length=32, choices=FONT_CHOICES, default=DEFAULT_FONT)
    music = models.ForeignKey(
        wagtailmedia_settings.MEDIA_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"type": "audio"},
        help_text=_("Played under the voice, quieter while it speaks. Longer music is trimmed."),
    )
    intro_enabled = models.BooleanField(_("intro card"), default=False)
    intro_seconds = models.FloatField(default=2.0, validators=_card_seconds)
    outro_enabled = models.BooleanField(_("outro card"), default=False)
    outro_seconds = models.FloatField(default=2.0, validators=_card_seconds)
    default_layout = models.CharField(
        max_length=32,
        choices=LAYOUT_CHOICES,
        default="presenter",
        help_text=_("Used by publish and batch jobs, and preselected in the page editor."),
    )
    default_formats = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_formats],
        help_text=_("Empty: the layout's own (16:9, or 9:16 for the social layout)."),
    )
    default_burn_captions = models.BooleanField(
        _("burn in captions by default"),
        default=False,
        help_text=_("The social layout burns them in unless a job says otherwise."),
    )
    default_voices = models.JSONField(
        _("voices by language"),
        default=dict,
        blank=True,
        validators=[validate_voices_by_language],
        help_text=_(
            "The voice that reads pages in each language when a job names none, as "
            '{"de": "edge:de-DE-KatjaNeural"}. A language without one is read by the organization\'s default '
            "voice if it speaks it, else by the runners' own voice for it."
        ),
    )
    disclosure_enabled = models.BooleanField(
        _("show the AI label"),
        default=True,
        help_text=_(
            "A visible label on every video saying it is AI-generated. The EU AI Act (Article 50) "
            "requires telling viewers; turn it off only where the page says so in another way."
        ),
    )
    # Empty: each video's label is in its page's language (video_plugin.public.disclosure.LABELS).
    disclosure_text = models.CharField(_("AI label wording"), max_length=MAX_DISCLOSURE_CHARS, blank=True)
    disclosure_position = models.CharField(
        _("AI label position"),
        max_length=16,
        choices=[(name, DISCLOSURE_POSITION_LABELS.get(name, name)) for name in DISCLOSURE_POSITIONS],
        default="top_left",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand kit")
        verbose_name_plural = _("brand kits")

    def __str__(self) -> str:
        # Wagtail's messages name the kit ("Brand kit '…' updated"), so it reads in the editor's language.
        # Translators: %(id)s is the organization's number.
        return gettext("brand kit of organization %(id)s") % {"id": self.organization_id}

    @property
    def version(self) -> str:
        """A sha256 of everything in the kit that changes the picture or the sound, the logo's and the
        music's files included (so replacing the file behind the same image changes it too)."""
        facts = {
            "primary": self.primary_colour.lower(),
            "secondary": self.secondary_colour.lower(),
            "font": self.font,
            "logo": _file_identity(self.logo) if self.logo_id else None,
            "music": _file_identity(self.music) if self.music_id else None,
            "intro": self.intro_seconds if self.intro_enabled else 0.0,
            "outro": self.outro_seconds if self.outro_enabled else 0.0,
        }
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _file_identity(item: Any) -> list[Any]:
    """What names a file's content: Wagtail's hash of an image's bytes where it has one, else its stored
    name (upload names are never reused, so a new file has a new name)."""
    return [item.pk, getattr(item, "file_hash", "") or "", item.file.name]


# --- the job API's tokens -----------------------------------------------------------------------------------

TOKEN_PREFIX = "vt_"


class ApiToken(models.Model):
    """A secret that lets automation use one organization's job API.

    Only the token's sha256 is stored: the plain token is shown once, when it is created. Deleting the row
    revokes the token. Tokens are 32 random
    bytes, so a fast hash is enough; a slow password hash would only slow every request down.
    """

    organization_id = models.PositiveBigIntegerField(db_index=True)
    name = models.CharField(max_length=100, help_text=_("What uses this token, e.g. 'shop sync job'."))
    # The first characters of the token, kept in clear so people can tell their tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        """The stored form of a plain token."""
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, organization_id: int, name: str, created_by: Any = None) -> tuple[ApiToken, str]:
        """Create a token for the organization; returns the row and the plain token, which is never stored."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organization_id=organization_id,
            name=name,
            prefix=plain[: len(TOKEN_PREFIX) + 6],
            token_hash=cls.hash(plain),
            created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        )
        return token, plain


# --- webhooks -----------------------------------------------------------------------------------------------

# How long a rotated-out signing secret keeps signing beside the new one: a day to update the receiver.
SECRET_ROTATION_OVERLAP = timedelta(hours=24)


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint can subscribe to."""

    VIDEO_SUCCEEDED = "video.succeeded", "video.succeeded"
    VIDEO_FAILED = "video.failed", "video.failed"


# Named by migration 0002; new endpoints' secrets are Standard Webhooks ones.
new_webhook_secret = new_secret


class WebhookEndpoint(models.Model):
    """A URL of an organization that is told when its videos succeed or fail."""

    organization_id = models.PositiveBigIntegerField(db_index=True)
    url = models.URLField(max_length=500, help_text=_("Receives a signed JSON POST for each event."))
    events = models.JSONField(
        default=list, help_text=_("Events sent to this URL: video.succeeded, video.failed, or both.")
    )
    # Kept in clear, unlike API tokens: signing each request needs the secret itself. "whsec_" + base64 of
    # the key (video_plugin.webhooks.signing).
    secret = models.CharField(max_length=150, default=new_secret, editable=False)
    # The secret a rotation replaced: it signs beside the new one until previous_secret_expires_at, so a
    # receiver still configured with it keeps accepting deliveries while its owner updates it.
    previous_secret = models.CharField(max_length=150, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # An endpoint created before Standard Webhooks: its old secret string, whose key the standard secret
    # carries, for the old headers (video_plugin.webhooks.legacy_signing). Empty for newer endpoints.
    legacy_secret = models.CharField(max_length=100, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return redacted_url(self.url)

    def clean(self) -> None:
        # Imported here: destinations reads the plugin's settings, which models must not need at import.
        from video_plugin.webhooks.destinations import url_refusal

        if reason := url_refusal(self.url):
            raise ValidationError({"url": reason})

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets that sign a delivery sent at ``now``: the current one, and the one a rotation replaced
        until its overlap ends."""
        now = now or timezone.now()
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def legacy_signing_secret(self, now: datetime | None = None) -> str:
        """The old secret string while its key still signs (deliveries then carry the old headers too), else
        ``""``."""
        if self.legacy_secret and standard_secret(self.legacy_secret) in self.signing_secrets(now):
            return self.legacy_secret
        return ""

    def rotate_secret(self, now: datetime | None = None) -> None:
        """A new secret; the one replaced signs beside it for :data:`SECRET_ROTATION_OVERLAP`. Not saved."""
        now = now or timezone.now()
        self.previous_secret, self.secret = self.secret, new_secret()
        self.previous_secret_expires_at = now + SECRET_ROTATION_OVERLAP
        if self.legacy_secret and standard_secret(self.legacy_secret) != self.previous_secret:
            self.legacy_secret = ""  # rotated out by an earlier rotation: it signs nothing any more


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with every attempt's outcome: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    delivery_id = models.CharField(max_length=64, unique=True, default=new_job_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    organization_id = models.PositiveBigIntegerField(db_index=True)
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    job = models.ForeignKey(VideoJob, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # At-least-once events must not notify an endpoint twice about the same job.
            models.UniqueConstraint(fields=["endpoint", "job", "event"], name="video_one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint} ({self.status})"


# --- the default tenancy's settings -------------------------------------------------------------------------


class VideoSiteSettings(BaseSiteSetting):
    """A site's presenter videos under the default tenancy: Settings → Presenter videos in the admin.

    A custom tenancy (the shop's, for one) takes these from its own organizations instead. Registered as a
    Wagtail setting in :mod:`video_plugin.wagtail_hooks`.
    """

    default_presenter_image = models.ForeignKey(
        get_image_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The presenter of pages without their own presenter image: one face, facing the camera."),
    )
    default_voice = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_voice_id],
        help_text=_(
            "An engine-qualified voice, e.g. 'espeak:en-us' or 'edge:en-US-JennyNeural'. "
            'Empty: WAGTAIL_VIDEO["DEFAULT_VOICE"].'
        ),
    )
    auto_generate_on_publish = models.BooleanField(
        default=False,
        help_text=_(
            "Render a new presenter video whenever a page with a presenter video panel is published."
        ),
    )
    editor_videos_live_at_once = models.BooleanField(
        default=False,
        help_text=_(
            "Show a video generated in the page editor on the live page as soon as it is ready. Off: it "
            "goes live with the page's next publish, or when someone who may publish the page makes it live."
        ),
    )

    panels = [
        FieldPanel("default_presenter_image"),
        FieldPanel("default_voice"),
        FieldPanel("auto_generate_on_publish"),
        FieldPanel("editor_videos_live_at_once"),
    ]
    select_related = ["default_presenter_image"]

    class Meta:
        verbose_name = _("presenter videos")
        verbose_name_plural = _("presenter videos")
