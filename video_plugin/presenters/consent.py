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
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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

    # The keys are data (JSON ``status`` values, CSS classes, filter values); only the labels are translated.
    LABELS = {
        VALID: gettext_lazy("Consent valid"),
        LICENSED: gettext_lazy("Licensed face"),
        NONE: gettext_lazy("No consent recorded"),
        NOT_YET: gettext_lazy("Consent not yet valid"),
        EXPIRED: gettext_lazy("Consent expired"),
        REVOKED: gettext_lazy("Consent revoked"),
        NO_LICENCE: gettext_lazy("No licence recorded"),
        SYNTHETIC_OFF: gettext_lazy("Synthetic presenters not allowed"),
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
        """The status in words, in the language active now."""
        return str(Status.LABELS[self.status])


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
    who = get_tenancy().who_may_manage_presenters
    if presenter.kind == Presenter.Kind.SYNTHETIC:
        if not video_settings.SYNTHETIC_PRESENTERS:
            return Usability(
                Status.SYNTHETIC_OFF,
                # Translators: %(name)s is the presenter's name, already in quotes; %(who)s says who manages
                # presenters (e.g. "an owner or admin of the organization"). Keep the setting's name as is.
                _(
                    "Presenter %(name)s is marked synthetic, and this site allows only presenters who "
                    'consented (WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"] is off). '
                    "Ask %(who)s to record this person's consent instead."
                )
                % {"name": repr(presenter.name), "who": who},
            )
        if not presenter.licence.strip():
            return Usability(
                Status.NO_LICENCE,
                # Translators: %(name)s is the presenter's name, already in quotes; %(who)s says who manages
                # presenters.
                _(
                    "Presenter %(name)s is marked synthetic but has no licence recorded. "
                    "Ask %(who)s to record the licence that allows this face to be used."
                )
                % {"name": repr(presenter.name), "who": who},
            )
        return Usability(Status.LICENSED)
    consent = current_consent(presenter, today)
    if consent is not None:
        return Usability(Status.VALID, consent=consent)
    return Usability(*_why_no_consent(presenter, today, who))


def _day(day: date) -> str:
    """A day as the reasons name it ("02 Dec 2026"), with the month's name in the active language."""
    return dateformat.format(day, "d M Y")


def _why_no_consent(presenter: Presenter, today: date, who: str) -> tuple[str, str]:
    """The status and reason of a person's presenter with no consent in force, from its latest record;
    ``who`` says who can fix it."""
    latest = presenter.consents.order_by("-valid_from", "-pk").first()
    name = repr(presenter.name)
    if latest is None:
        return Status.NONE, (
            # Translators: %(name)s is the presenter's name, already in quotes; %(who)s says who manages
            # presenters (e.g. "an owner or admin of the organization").
            _(
                "Presenter %(name)s has no consent on record, so no video can show them. "
                "Ask %(who)s to record their signed consent."
            )
            % {"name": name, "who": who}
        )
    if latest.revoked_at is not None:
        return Status.REVOKED, (
            # Translators: %(name)s is the presenter's name, already in quotes; %(date)s a day; %(who)s says
            # who manages presenters.
            _(
                "%(name)s withdrew consent on %(date)s; no new video can show them. "
                "Ask %(who)s to choose another presenter, or record new consent if they agree again."
            )
            % {"name": name, "date": _day(timezone.localdate(latest.revoked_at)), "who": who}
        )
    if latest.valid_from > today:
        return Status.NOT_YET, (
            # Translators: %(name)s is the presenter's name, already in quotes; %(date)s a day; %(who)s says
            # who manages presenters.
            _("%(name)s's consent starts on %(date)s. Generate then, or ask %(who)s to correct the record.")
            % {"name": name, "date": _day(latest.valid_from), "who": who}
        )
    return Status.EXPIRED, (
        # Translators: %(name)s is the presenter's name, already in quotes; %(date)s a day; %(who)s says who
        # manages presenters.
        _("%(name)s's consent ended on %(date)s. Ask %(who)s to record renewed consent.")
        % {"name": name, "date": _day(latest.valid_until), "who": who}
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
