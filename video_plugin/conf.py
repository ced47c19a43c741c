"""The plugin's settings: one ``WAGTAIL_VIDEO`` dict in the host's settings, read via :data:`video_settings`.

========================  ====================================================================================
key                       meaning (default)
========================  ====================================================================================
``TENANCY``               dotted path of a :class:`video_plugin.tenancy.Tenancy` subclass; the default,
                          ``"video_plugin.site_tenancy.SiteTenancy"``, is one organization: the whole site
``COLLECTION``            name of the collection (under the root) the default tenancy files videos in
                          (``"Presenter videos"``)
``RENDERER``              renderer requested from the runner: ``"still"`` or ``"hallo2"`` (``"still"``)
``DEFAULT_VOICE``         engine-qualified voice when the organization names none (``"espeak:en-us"``)
``MAX_SCRIPT_CHARS``      longest script accepted, at most the protocol's limit (3000)
``RENDER_OPTIONS``        options sent to the runner with every job, e.g. ``{"fps": 25}`` (``{}``)
``EVENT_MAX_RETRIES``     retries of the ``video_event`` actor before its message is dead-lettered (3)
``STATUS_POLL_SECONDS``   how often the editor panel asks for the job's status (2)
``API_MAX_IN_FLIGHT``     queued + running jobs an organization may have before the job API answers 429 (10)
``API_RETRY_AFTER_S``     the ``Retry-After`` of that 429 when no running job has an estimate (30)
``API_MAX_BODY_BYTES``    largest job API request body; larger ones are answered 413 (262144, 256 KiB)
``WEBHOOK_TIMEOUT_S``     seconds a webhook endpoint has to answer one delivery attempt (5)
``WEBHOOK_MAX_ATTEMPTS``  attempts per webhook delivery before it is marked failed (8)
``WEBHOOK_BACKOFF_S``     wait before the second attempt, doubled for each later one, at most an hour (10)
``WATCHDOG_INTERVAL_S``   how often the events worker's watchdog looks for stuck jobs (60)
``STUCK_RUNNING_S``       a running job with no report from the runner this long fails ``timed_out`` (1800)
``STUCK_QUEUED_S``        a job that no runner has started this long after queueing: ``timed_out`` (86400)
``REDIS_URL``             with a RabbitMQ broker, the Redis the runners share state in (capabilities, cancel
                          flags): their ``REDIS_URL``; a Redis broker holds that state itself (``None``)
========================  ====================================================================================

``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (``False``): send webhooks to private, loopback and link-local addresses,
which are refused by default (see :mod:`video_plugin.webhooks.destinations`).

``METRICS_TOKEN`` (``""``): the bearer token Prometheus sends to ``/video/metrics``
(:mod:`video_plugin.metrics`); at least 24 characters. Unset, the endpoint answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from gpu_runner.protocol import MAX_SCRIPT_CHARS, MAX_VOICE_ID_CHARS, RENDERERS, ProtocolError, check_voice_id

DEFAULT_TENANCY = "video_plugin.site_tenancy.SiteTenancy"
# Wagtail's Collection.name is a CharField(max_length=255).
COLLECTION_NAME_MAX = 255
# The longest legitimate job request: every script character escaped as a surrogate pair (12 bytes,
# "\ud83d\ude00"), every voice character as "\u0061", and 1 KiB for the keys, ids and spacing.
LONGEST_JOB_REQUEST_BYTES = 12 * MAX_SCRIPT_CHARS + 6 * MAX_VOICE_ID_CHARS + 1024
# Long enough that guessing it over HTTP is hopeless.
METRICS_TOKEN_MIN_CHARS = 24

DEFAULTS: dict[str, Any] = {
    "TENANCY": DEFAULT_TENANCY,
    "COLLECTION": "Presenter videos",
    "RENDERER": "still",
    "DEFAULT_VOICE": "espeak:en-us",
    "MAX_SCRIPT_CHARS": MAX_SCRIPT_CHARS,
    "RENDER_OPTIONS": {},
    "EVENT_MAX_RETRIES": 3,
    "STATUS_POLL_SECONDS": 2,
    "API_MAX_IN_FLIGHT": 10,
    "API_RETRY_AFTER_S": 30,
    # Several times the longest legitimate request, and far below what would strain a web worker's memory.
    "API_MAX_BODY_BYTES": 256 * 1024,
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
    # Off until set: /video/metrics answers only a bearer token equal to it.
    "METRICS_TOKEN": "",
    "REDIS_URL": None,
    # On: a synthetic, stock or public-domain face may present with its licence recorded instead of consent.
    "SYNTHETIC_PRESENTERS": True,
}


@dataclass(frozen=True)
class SettingProblem:
    """One thing wrong with ``WAGTAIL_VIDEO``: what, and how to fix it (``manage.py check`` shows both)."""

    message: str
    hint: str
    # An unknown key is told apart from a bad value: the system checks give them their own ids.
    unknown_key: bool = False


def setting_problems(configured: Any) -> list[SettingProblem]:
    """Everything wrong with a ``WAGTAIL_VIDEO`` value, without importing anything it names.

    Whether ``TENANCY`` imports is :mod:`video_plugin.checks`'s question: importing the host's code here would
    make reading a setting import the host.
    """
    if not isinstance(configured, dict):
        return [SettingProblem(f"WAGTAIL_VIDEO is a {type(configured).__name__}", "Make it a dict, e.g. {}.")]
    problems = [
        SettingProblem(
            f"WAGTAIL_VIDEO has an unknown key {key!r}",
            " ".join(
                [
                    *(f"Did you mean {match!r}?" for match in get_close_matches(str(key), DEFAULTS, n=1)),
                    f"The known keys are {', '.join(DEFAULTS)} (see video_plugin/conf.py).",
                ]
            ),
            unknown_key=True,
        )
        for key in sorted(set(configured) - set(DEFAULTS), key=str)
    ]
    values = {**DEFAULTS, **configured}
    if values["RENDERER"] not in RENDERERS:
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["RENDERER"] is {values["RENDERER"]!r}',
                f"Choose one of {', '.join(RENDERERS)}: the renderer your GPU runners serve.",
            )
        )
    limit = values["MAX_SCRIPT_CHARS"]
    if not (isinstance(limit, int) and 0 < limit <= MAX_SCRIPT_CHARS):
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["MAX_SCRIPT_CHARS"] is {limit!r}',
                f"Use a whole number between 1 and {MAX_SCRIPT_CHARS} (the runner refuses longer scripts).",
            )
        )
    body_limit = values["API_MAX_BODY_BYTES"]
    if not (isinstance(body_limit, int) and body_limit >= LONGEST_JOB_REQUEST_BYTES):
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["API_MAX_BODY_BYTES"] is {body_limit!r}',
                f"Use a whole number of bytes of at least {LONGEST_JOB_REQUEST_BYTES}, the longest job "
                f"request (a {MAX_SCRIPT_CHARS}-character script, every character escaped), e.g. "
                f"{DEFAULTS['API_MAX_BODY_BYTES']}.",
            )
        )
    if not isinstance(values["TENANCY"], str) or not values["TENANCY"]:
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["TENANCY"] is {values["TENANCY"]!r}',
                f'Leave it out for the default "{DEFAULT_TENANCY}", or name your Tenancy subclass\'s dotted '
                'path, e.g. "shop.tenancy.ShopTenancy".',
            )
        )
    try:
        check_voice_id(values["DEFAULT_VOICE"])
    except ProtocolError as exc:
        problems.append(
            SettingProblem(f'WAGTAIL_VIDEO["DEFAULT_VOICE"] is {values["DEFAULT_VOICE"]!r}', str(exc))
        )
    redis_url = values["REDIS_URL"]
    if redis_url is not None and not (
        isinstance(redis_url, str) and redis_url.startswith(("redis://", "rediss://"))
    ):
        problems.append(
            SettingProblem(
                'WAGTAIL_VIDEO["REDIS_URL"] is not a redis:// or rediss:// URL',
                "Set it to the REDIS_URL your GPU runners use, or leave it out when the broker is Redis.",
            )
        )
    token = values["METRICS_TOKEN"]
    if not (isinstance(token, str) and (token == "" or len(token) >= METRICS_TOKEN_MIN_CHARS)):
        shown = f"{len(token)} characters long" if isinstance(token, str) else f"a {type(token).__name__}"
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["METRICS_TOKEN"] is {shown}',
                f"Use a random string of at least {METRICS_TOKEN_MIN_CHARS} characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, or leave it out to turn "
                "/video/metrics off.",
            )
        )
    collection = values["COLLECTION"]
    if not (isinstance(collection, str) and 0 < len(collection.strip()) <= COLLECTION_NAME_MAX):
        problems.append(
            SettingProblem(
                f'WAGTAIL_VIDEO["COLLECTION"] is {collection!r}',
                f"Name the collection for videos with 1 to {COLLECTION_NAME_MAX} characters, "
                'e.g. "Presenter videos".',
            )
        )
    return problems


class VideoSettings:
    """Attribute access to ``WAGTAIL_VIDEO`` with defaults, validated on first read."""

    def __init__(self) -> None:
        self._values: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        configured = getattr(settings, "WAGTAIL_VIDEO", {})
        # manage.py check reports every problem with its id (video_plugin.checks); this guards a process that
        # was started without the checks.
        problems = setting_problems(configured)
        if problems:
            raise ImproperlyConfigured(f"{problems[0].message}: {problems[0].hint}")
        return {**DEFAULTS, **configured}

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
