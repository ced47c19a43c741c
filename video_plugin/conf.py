"""The plugin's settings: one ``WAGTAIL_VIDEO`` dict in the host's settings, read via :data:`video_settings`.

========================  ====================================================================================
key                       meaning (default)
========================  ====================================================================================
``TENANCY``               dotted path of the host's :class:`video_plugin.tenancy.Tenancy` subclass (required)
``RENDERER``              renderer requested from the runner: ``"still"`` or ``"hallo2"`` (``"still"``)
``DEFAULT_VOICE``         engine-qualified voice when the organization names none (``"espeak:en-us"``)
``MAX_SCRIPT_CHARS``      longest script accepted, at most the protocol's limit (3000)
``RENDER_OPTIONS``        options sent to the runner with every job, e.g. ``{"fps": 25}`` (``{}``)
``EVENT_MAX_RETRIES``     retries of the ``video_event`` actor before its message is dead-lettered (3)
``STATUS_POLL_SECONDS``   how often the editor panel asks for the job's status (2)
``API_MAX_IN_FLIGHT``     queued + running jobs an organization may have before the job API answers 429 (10)
``API_RETRY_AFTER_S``     the ``Retry-After`` of that 429 when no running job has an estimate (30)
``WEBHOOK_TIMEOUT_S``     seconds a webhook endpoint has to answer one delivery attempt (5)
``WEBHOOK_MAX_ATTEMPTS``  attempts per webhook delivery before it is marked failed (8)
``WEBHOOK_BACKOFF_S``     wait before the second attempt, doubled for each later one, at most an hour (10)
``WATCHDOG_INTERVAL_S``   how often the events worker's watchdog looks for stuck jobs (60)
``STUCK_RUNNING_S``       a running job with no report from the runner this long fails ``timed_out`` (1800)
``STUCK_QUEUED_S``        a job that no runner has started this long after queueing: ``timed_out`` (86400)
========================  ====================================================================================

``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (``False``): send webhooks to private, loopback and link-local addresses,
which are refused by default (see :mod:`video_plugin.webhooks.destinations`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from gpu_runner.protocol import MAX_SCRIPT_CHARS, RENDERERS

DEFAULTS: dict[str, Any] = {
    "TENANCY": None,
    "RENDERER": "still",
    "DEFAULT_VOICE": "espeak:en-us",
    "MAX_SCRIPT_CHARS": MAX_SCRIPT_CHARS,
    "RENDER_OPTIONS": {},
    "EVENT_MAX_RETRIES": 3,
    "STATUS_POLL_SECONDS": 2,
    "API_MAX_IN_FLIGHT": 10,
    "API_RETRY_AFTER_S": 30,
    "WEBHOOK_TIMEOUT_S": 5,
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_BACKOFF_S": 10,
    # Off: an admin's webhook URL must not make the events worker call internal services (SSRF).
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": False,
    # See video_plugin.jobs.watchdog: STUCK_RUNNING_S must exceed the runner's heartbeat timeout plus a boot,
    # so a job whose runner died is redelivered before it is declared stuck.
    "WATCHDOG_INTERVAL_S": 60,
    "STUCK_RUNNING_S": 30 * 60,
    "STUCK_QUEUED_S": 24 * 3600,
}


class VideoSettings:
    """Attribute access to ``WAGTAIL_VIDEO`` with defaults, validated on first read."""

    def __init__(self) -> None:
        self._values: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        configured = getattr(settings, "WAGTAIL_VIDEO", {})
        unknown = set(configured) - set(DEFAULTS)
        if unknown:
            raise ImproperlyConfigured(
                f"WAGTAIL_VIDEO has unknown key(s) {sorted(unknown)}; known keys are {sorted(DEFAULTS)}"
            )
        values = {**DEFAULTS, **configured}
        if not values["TENANCY"]:
            raise ImproperlyConfigured(
                'WAGTAIL_VIDEO["TENANCY"] is not set; name your video_plugin.tenancy.Tenancy subclass, '
                'e.g. "shop.tenancy.ShopTenancy"'
            )
        if values["RENDERER"] not in RENDERERS:
            raise ImproperlyConfigured(
                f'WAGTAIL_VIDEO["RENDERER"] is {values["RENDERER"]!r}; choose one of {list(RENDERERS)}'
            )
        if not 0 < int(values["MAX_SCRIPT_CHARS"]) <= MAX_SCRIPT_CHARS:
            raise ImproperlyConfigured(
                f'WAGTAIL_VIDEO["MAX_SCRIPT_CHARS"] must be between 1 and {MAX_SCRIPT_CHARS} '
                "(the runner refuses longer scripts)"
            )
        return values

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"WAGTAIL_VIDEO has no setting {name!r}")
        if self._values is None:
            self._values = self._load()
        return self._values[name]

    def reload(self) -> None:
        """Forget cached values so that the next read sees the current ``WAGTAIL_VIDEO``."""
        self._values = None


video_settings = VideoSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "WAGTAIL_VIDEO":
        video_settings.reload()


# Tests override settings; a cached copy would hide the change.
setting_changed.connect(_reload_on_change)
