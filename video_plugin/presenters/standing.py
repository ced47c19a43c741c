"""Whose face a photo is and whether it may be animated today, as the editor panel shows it before Generate.

The job decides at request time (:func:`video_plugin.jobs.requests.build_job`); this asks the same questions
earlier, with :func:`~video_plugin.presenters.consent.presenter_of_photo` and
:func:`~video_plugin.presenters.consent.usability`, so an editor reads why a photo cannot be used, and who can
fix it, before a failed job says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from video_plugin.presenters.consent import presenter_of_photo, usability
from video_plugin.tenancy import OrganizationInfo, get_tenancy

# The status of a photo with no presenter behind it (the consent rule's statuses are in Status.LABELS).
NOT_A_PRESENTER = "not_a_presenter"
NO_PHOTO = "no_photo"


@dataclass(frozen=True)
class PhotoStanding:
    """A photo's presenter (if any), its consent status and label, and, when it cannot be used, why."""

    status: str
    label: str
    usable: bool
    reason: str = ""
    presenter_id: int | None = None
    presenter_name: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def photo_standing(organization: OrganizationInfo, image: Any) -> PhotoStanding:
    """Whether ``image`` is one of the organization's presenters, and whether that presenter may be used."""
    if image is None:
        return PhotoStanding(
            NO_PHOTO,
            _("No presenter"),
            usable=False,
            # Translators: %(organization)s is the organization's name, already in quotes.
            reason=_(
                "No presenter photo is chosen and %(organization)s has no default presenter: choose "
                "a presenter's photo here."
            )
            % {"organization": repr(organization.name)},
        )
    presenter = presenter_of_photo(organization.id, image)
    if presenter is None:
        return PhotoStanding(
            NOT_A_PRESENTER,
            _("Not a presenter"),
            usable=False,
            # Translators: %(image)s is the photo's title and %(organization)s the organization's name, each
            # already in quotes; %(who)s says who manages presenters (e.g. "an owner or admin of the
            # organization").
            reason=_(
                "The photo %(image)s is no presenter of %(organization)s: only a presenter "
                "with a consent record can be animated. Choose a presenter's photo, or ask "
                "%(who)s to add this one as a presenter."
            )
            % {
                "image": repr(image.title),
                "organization": repr(organization.name),
                "who": get_tenancy().who_may_manage_presenters,
            },
        )
    now = usability(presenter)
    return PhotoStanding(
        now.status,
        now.label,
        usable=now.usable,
        reason=now.reason,
        presenter_id=presenter.pk,
        presenter_name=presenter.name,
    )
