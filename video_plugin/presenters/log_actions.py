"""The entries presenters' consent and takedowns leave in Wagtail's log: in the presenter's history, the
page's history and Reports → Site history. Registered by :mod:`video_plugin.wagtail_hooks`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import LogFormatter

CONSENT_RECORDED = "video_plugin.consent_recorded"
CONSENT_REVOKED = "video_plugin.consent_revoked"
VIDEO_TAKEN_DOWN = "video_plugin.video_taken_down"


class ConsentRecordedFormatter(LogFormatter):
    label = gettext_lazy("Record consent")

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        values = {
            "reference": data.get("reference", ""),
            "start": data.get("valid_from", "?"),
            "until": data.get("valid_until") or "",
        }
        if values["until"]:
            # Translators: %(reference)s is a consent record's reference; %(start)s and %(until)s are days.
            return _("Consent %(reference)s recorded: from %(start)s until %(until)s") % values
        # Translators: %(reference)s is a consent record's reference; %(start)s is a day.
        return _("Consent %(reference)s recorded: from %(start)s") % values


class ConsentRevokedFormatter(LogFormatter):
    label = gettext_lazy("Revoke consent")

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        values = {"reference": data.get("reference", ""), "note": data.get("note") or ""}
        if values["note"]:
            # Translators: %(reference)s is a consent record's reference; %(note)s the note given on revoking.
            return _("Consent %(reference)s revoked (%(note)s)") % values
        # Translators: %(reference)s is a consent record's reference.
        return _("Consent %(reference)s revoked") % values


class VideoTakenDownFormatter(LogFormatter):
    label = gettext_lazy("Remove presenter video")

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        # Translators: %(job)s is a job's id; %(name)s the presenter's name, already in quotes.
        return _("Presenter video %(job)s of %(name)s removed from the live page") % {
            "job": data.get("job_id", ""),
            "name": repr(data.get("presenter", "?")),
        }


def register_log_actions(actions: Any) -> None:
    """The ``register_log_actions`` hook's body."""
    actions.register_action(CONSENT_RECORDED)(ConsentRecordedFormatter)
    actions.register_action(CONSENT_REVOKED)(ConsentRevokedFormatter)
    actions.register_action(VIDEO_TAKEN_DOWN)(VideoTakenDownFormatter)
