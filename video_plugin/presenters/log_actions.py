"""The entries presenters' consent and takedowns leave in Wagtail's log: in the presenter's history, the
page's history and Reports → Site history. Registered by :mod:`video_plugin.wagtail_hooks`."""

from __future__ import annotations

from typing import Any

from wagtail.log_actions import LogFormatter

CONSENT_RECORDED = "video_plugin.consent_recorded"
CONSENT_REVOKED = "video_plugin.consent_revoked"
VIDEO_TAKEN_DOWN = "video_plugin.video_taken_down"


class ConsentRecordedFormatter(LogFormatter):
    label = "Record consent"

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        until = f" until {data['valid_until']}" if data.get("valid_until") else ""
        return f"Consent {data.get('reference', '')} recorded: from {data.get('valid_from', '?')}{until}"


class ConsentRevokedFormatter(LogFormatter):
    label = "Revoke consent"

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        note = f" ({data['note']})" if data.get("note") else ""
        return f"Consent {data.get('reference', '')} revoked{note}"


class VideoTakenDownFormatter(LogFormatter):
    label = "Remove presenter video"

    def format_message(self, log_entry: Any) -> str:
        data = log_entry.data
        return (
            f"Presenter video {data.get('job_id', '')} of {data.get('presenter', '?')!r} removed from "
            "the live page"
        )


def register_log_actions(actions: Any) -> None:
    """The ``register_log_actions`` hook's body."""
    actions.register_action(CONSENT_RECORDED)(ConsentRecordedFormatter)
    actions.register_action(CONSENT_REVOKED)(ConsentRevokedFormatter)
    actions.register_action(VIDEO_TAKEN_DOWN)(VideoTakenDownFormatter)
