"""Whether a presenter may be animated today, and if not, why and who can fix it.

A real person's presenter needs a consent record that has begun, has not ended and was not revoked; a
synthetic, stock or public-domain face needs its licence recorded, and the site must allow such presenters
(``WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"]``, on by default). Everything that starts a video asks
:func:`usability` at the moment it asks, so a revocation stops new videos at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone

from video_plugin.conf import video_settings
from video_plugin.models import ConsentRecord, Presenter
from video_plugin.tenancy import get_tenancy


class Status:
    """A presenter's consent status, as the audit report and the panel name it."""

    VALID = "valid"
    LICENSED = "licensed"
    NONE = "no_consent"
    NOT_YET = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NO_LICENCE = "no_licence"
    SYNTHETIC_OFF = "synthetic_not_allowed"

    LABELS = {
        VALID: "Consent valid",
        LICENSED: "Licensed face",
        NONE: "No consent recorded",
        NOT_YET: "Consent not yet valid",
        EXPIRED: "Consent expired",
        REVOKED: "Consent revoked",
        NO_LICENCE: "No licence recorded",
        SYNTHETIC_OFF: "Synthetic presenters not allowed",
    }


@dataclass(frozen=True)
class Usability:
    """Whether a presenter may be used now; ``reason`` says why not and who can fix it."""

    status: str
    reason: str = ""
    consent: ConsentRecord | None = None

    @property
    def usable(self) -> bool:
        return self.status in (Status.VALID, Status.LICENSED)

    @property
    def label(self) -> str:
        return Status.LABELS[self.status]


def current_consent(presenter: Presenter, today: date) -> ConsentRecord | None:
    """The presenter's consent record in force on ``today``: begun, not ended, not revoked (the latest)."""
    return (
        presenter.consents.filter(revoked_at__isnull=True, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-valid_from", "-pk")
        .first()
    )


def usability(presenter: Presenter, today: date | None = None) -> Usability:
    """Whether ``presenter`` may be animated on ``today`` (default: today in the site's time zone)."""
    today = today or timezone.localdate()
    fix = f"Ask {get_tenancy().who_may_manage_presenters} to"
    if presenter.kind == Presenter.Kind.SYNTHETIC:
        if not video_settings.SYNTHETIC_PRESENTERS:
            return Usability(
                Status.SYNTHETIC_OFF,
                f"Presenter {presenter.name!r} is marked synthetic, and this site allows only presenters who "
                'consented (WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"] is off). '
                f"{fix} record this person's consent instead.",
            )
        if not presenter.licence.strip():
            return Usability(
                Status.NO_LICENCE,
                f"Presenter {presenter.name!r} is marked synthetic but has no licence recorded. "
                f"{fix} record the licence that allows this face to be used.",
            )
        return Usability(Status.LICENSED)
    consent = current_consent(presenter, today)
    if consent is not None:
        return Usability(Status.VALID, consent=consent)
    return Usability(*_why_no_consent(presenter, today, fix))


def _why_no_consent(presenter: Presenter, today: date, fix: str) -> tuple[str, str]:
    """The status and reason of a person's presenter with no consent in force, from its latest record."""
    latest = presenter.consents.order_by("-valid_from", "-pk").first()
    name = presenter.name
    if latest is None:
        return Status.NONE, (
            f"Presenter {name!r} has no consent on record, so no video can show them. "
            f"{fix} record their signed consent."
        )
    if latest.revoked_at is not None:
        withdrawn = timezone.localdate(latest.revoked_at)
        return Status.REVOKED, (
            f"{name!r} withdrew consent on {withdrawn:%d %b %Y}; no new video can show them. "
            f"{fix} choose another presenter, or record new consent if they agree again."
        )
    if latest.valid_from > today:
        return Status.NOT_YET, (
            f"{name!r}'s consent starts on {latest.valid_from:%d %b %Y}. Generate then, or {fix.lower()} "
            "correct the record."
        )
    return Status.EXPIRED, (
        f"{name!r}'s consent ended on {latest.valid_until:%d %b %Y}. {fix} record renewed consent."
    )


def presenter_of_photo(organization_id: int, image: Any) -> Presenter | None:
    """The organization's presenter whose photo is ``image``, if the image is one."""
    if image is None:
        return None
    return Presenter.objects.filter(organization_id=organization_id, photo_id=image.pk).first()


def consent_reference(presenter: Presenter, usable: Usability) -> str:
    """What a job and its content credentials name: the consent record's reference, or the licence's."""
    if usable.consent is not None:
        return usable.consent.reference
    return presenter.licence_reference
