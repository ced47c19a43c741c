"""What the running GPU runners offer (voices, renderer) and whether any is online, read from Redis.

Each runner publishes a capabilities record under :func:`gpu_runner.protocol.runner_key` with a short TTL (see
``gpu_runner/health.py``), so a record that exists is a runner that spoke within the last
:data:`~gpu_runner.protocol.RUNNER_TTL_S` seconds. The plugin reads the records from the Redis of the Dramatiq
broker it already sends jobs through: it needs no address of, and no connection to, any runner.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from gpu_runner.protocol import PROTOCOL_VERSION, RUNNER_KEY_PREFIX
from video_plugin.jobs.brokers import shared_redis

logger = logging.getLogger(__name__)

# Records are few (one per GPU process); a cap keeps a misconfigured Redis from stalling the admin.
MAX_RUNNER_RECORDS = 200


@dataclass(frozen=True)
class RunnerCapabilities:
    """The union of what the online runners offer. ``known`` is False when Redis could not be read."""

    known: bool
    runners: list[dict[str, Any]] = field(default_factory=list)
    voices: dict[str, list[str]] = field(default_factory=dict)
    default_voice: str = ""
    renderers: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def online(self) -> bool:
        """Whether at least one runner has published its record recently."""
        return bool(self.runners)

    @property
    def busy(self) -> int:
        """How many online runners are rendering a job right now."""
        return sum(1 for runner in self.runners if runner.get("status") == "busy")

    def weights_of(self, renderer: str) -> set[str]:
        """The weights the online runners of ``renderer`` render with (empty when none reports them)."""
        return {
            str(record["renderer"]["weights"])
            for record in self.runners
            if isinstance(record.get("renderer"), dict)
            and record["renderer"].get("name") == renderer
            and record["renderer"].get("weights")
        }

    def offers_voice(self, voice: str) -> bool:
        """Whether some online runner lists ``voice`` among its voices."""
        return any(voice in voices for voices in self.voices.values())

    def as_json(self) -> dict[str, Any]:
        """The panel's view: online state, counts, voices grouped by language, renderers."""
        return {
            "known": self.known,
            "online": self.online,
            "runners": len(self.runners),
            "busy": self.busy,
            "voices": self.voices,
            "default_voice": self.default_voice,
            "renderers": self.renderers,
            "problem": self.problem,
        }


def read_capabilities(redis: Any | None = None) -> RunnerCapabilities:
    """The online runners' capabilities; ``known=False`` with a reason when they cannot be read."""
    redis = redis if redis is not None else shared_redis()
    if redis is None:
        return RunnerCapabilities(
            known=False,
            problem='runner status is unknown: the broker is not Redis and WAGTAIL_VIDEO["REDIS_URL"] is '
            "not set; set it to the runners' REDIS_URL",
        )
    try:
        keys = sorted(redis.scan_iter(match=f"{RUNNER_KEY_PREFIX}*", count=100))[:MAX_RUNNER_RECORDS]
        raw_records = redis.mget(keys) if keys else []
    except Exception as exc:  # noqa: BLE001 - any Redis failure means "unknown", which the panel shows
        logger.warning("could not read runner capabilities from Redis: %s", exc)
        problem = f"runner status is unknown: Redis is unreachable ({exc})"
        return RunnerCapabilities(known=False, problem=problem)
    records = [record for record in map(parse_record, raw_records) if record is not None]
    return merge_records(records)


def parse_record(raw: bytes | str | None) -> dict[str, Any] | None:
    """One runner's record, or ``None`` when it expired between listing and reading, or does not parse."""
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except (TypeError, ValueError):
        logger.warning("ignored a runner record that is not JSON: %.80r", raw)
        return None
    if not isinstance(record, dict) or record.get("v") != PROTOCOL_VERSION:
        logger.warning("ignored a runner record of another protocol version: %.80r", raw)
        return None
    return record


def merge_records(records: list[dict[str, Any]]) -> RunnerCapabilities:
    """What the runners offer together: a voice is offered when any runner offers it."""
    voices: dict[str, set[str]] = {}
    renderers: set[str] = set()
    default_voice = ""
    for record in records:
        for language, names in (record.get("voices") or {}).items():
            if isinstance(names, list):
                voices.setdefault(str(language), set()).update(str(name) for name in names)
        renderer = record.get("renderer") or {}
        if isinstance(renderer, dict) and renderer.get("name"):
            renderers.add(str(renderer["name"]))
        default_voice = default_voice or str(record.get("default_voice") or "")
    return RunnerCapabilities(
        known=True,
        runners=records,
        voices={language: sorted(names) for language, names in sorted(voices.items())},
        default_voice=default_voice,
        renderers=sorted(renderers),
    )
