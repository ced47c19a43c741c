"""The runner's configuration: one frozen object read from the environment once, at start.

Variable (default): meaning.

- ``REDIS_URL`` (``redis://127.0.0.1:6379/0``): the broker unless ``BROKER_URL`` names another, and the shared
  state (cancellation flags, runner capabilities) unless the broker is a Redis itself.
- ``BROKER_URL`` (``REDIS_URL``): the Dramatiq broker, ``redis://…`` or ``amqp://…`` (RabbitMQ); the plugin's
  must be the same. A Redis broker also holds the shared state, as the plugin expects.
- ``GPU_RUNNER_POLL_MS`` (``100``): with Redis, the longest an idle runner waits between looking at its queues
  (Dramatiq's default is 1000); RabbitMQ pushes messages, so it does not apply there.
- ``VIDEO_STORAGE_URL`` (``./demo-data/storage``): a folder, or ``s3://bucket?endpoint=…&region=…``.
- ``GPU_RUNNER_RENDERER`` (``still``): ``still`` or ``hallo2``.
- ``HALLO_MODELS_DIR`` (``./models``): where ``fetch-models`` puts the Hallo2 weights.
- ``GPU_RUNNER_HEALTH_HOST`` / ``GPU_RUNNER_HEALTH_PORT`` (``127.0.0.1`` / ``8088``; port 0 = any free one):
  where ``GET /health`` listens.
- ``GPU_RUNNER_DEFAULT_VOICE`` (``espeak:en-us``): the voice of a job that names none.
- ``GPU_RUNNER_OFFLINE_VOICE`` (``espeak:en-us``): the fallback voice when no same-language one exists.
- ``GPU_RUNNER_VOICE_ENGINES`` (``edge,espeak``): the speech engines this runner uses; ``espeak`` alone keeps
  it off the network entirely (the online engine lists its voices at boot).
- ``GPU_RUNNER_MAX_AUDIO_SECONDS`` (``180``): longer speech fails with ``audio_too_long``.
- ``GPU_RUNNER_HEARTBEAT_TIMEOUT_S`` (``300``): a runner silent on the broker this long is presumed dead, and
  its unfinished job is put back on the queue. The runner beats every quarter of it from a thread of its own,
  so only a GIL hold longer than this (one C call) could make a live runner look dead.
- ``GPU_RUNNER_MAINTENANCE_CHANCE`` (``10000``): per million broker commands, how many also look for dead
  runners and requeue their jobs. An idle runner polls about once a second, so 1 % finds a dead runner's job
  within about two minutes of its heartbeat expiring; Dramatiq's default (1,000) takes about twenty.
- ``GPU_RUNNER_STORAGE_ATTEMPTS`` (``4``) / ``GPU_RUNNER_STORAGE_BACKOFF_S`` (``0.5``): tries of each storage
  read or write, and the wait before the second (doubled for each later one) before ``storage_unreachable``.
- ``GPU_RUNNER_EVENT_RETRY_S`` (``120``): how long sending a ``video_event`` is retried while Redis is
  unreachable; the job waits meanwhile, so a Redis restart loses no report.
- ``GPU_RUNNER_JOB_TIME_LIMIT_S`` (``1800``): a job running longer fails with ``timed_out``.
- ``GPU_RUNNER_STOP_GRACE_S`` (``120``): on SIGTERM, how long the current job may go on to finish; one still
  running then is stopped and put back on its queue for another runner (:mod:`gpu_runner.shutdown`).
- ``GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS`` (``true``): whether Hallo2 may load non-commercial weights.
- ``GPU_RUNNER_DEVICE`` (``auto``): ``auto`` (CUDA when present), ``cuda`` or ``cpu``.
- ``GPU_RUNNER_C2PA_CERT`` / ``GPU_RUNNER_C2PA_KEY`` (unset): the PEM certificate chain (signing certificate
  first) and PEM private key every video and poster is signed with (content credentials, C2PA,
  :mod:`gpu_runner.credentials`). The runner refuses to start without them, or when a test signature made with
  them at boot fails; ``python -m gpu_runner make-demo-chain DIR`` makes a chain for trying it out.
- ``GPU_RUNNER_C2PA_ALG`` (``es256``): the signature algorithm, which the key must fit: ``es256``, ``es384``,
  ``es512`` (EC keys), ``ps256``, ``ps384``, ``ps512`` (RSA) or ``ed25519``.
- ``GPU_RUNNER_C2PA_DISABLED`` (``false``): ``true`` switches signing off; the runner warns at start and every
  job's result records that its videos are unsigned, and why.
- ``GPU_RUNNER_TEST_FRAME_DELAY_S`` (``0``): a test aid, never for production: the ``still`` renderer sleeps
  this long per frame, so a fault test can kill or disturb a runner in the middle of a render.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .protocol import RENDERERS, ProtocolError, broker_kind, check_voice_id

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
DEVICES = ("auto", "cuda", "cpu")
# The speech engines a runner can use (gpu_runner.tts.ENGINES, named here so settings import no engine).
VOICE_ENGINES = ("edge", "espeak")
# The signature algorithms C2PA allows (and c2pa-python signs with).
C2PA_ALGORITHMS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")


class SettingsError(ValueError):
    """An environment variable holds a value the runner cannot use."""


@dataclass(frozen=True)
class RunnerSettings:
    """Everything the runner reads from its environment. Build it with :meth:`from_env`."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str = ""  # empty: the broker is REDIS_URL
    poll_ms: int = 100
    storage_url: str = "./demo-data/storage"
    renderer: str = "still"
    hallo_models_dir: str = "./models"
    health_host: str = "127.0.0.1"
    health_port: int = 8088
    default_voice: str = "espeak:en-us"
    offline_voice: str = "espeak:en-us"
    voice_engines: tuple[str, ...] = VOICE_ENGINES
    max_audio_seconds: float = 180.0
    heartbeat_timeout_s: int = 300
    maintenance_chance: int = 10_000
    storage_attempts: int = 4
    storage_backoff_s: float = 0.5
    event_retry_s: float = 120.0
    job_time_limit_s: int = 1800
    stop_grace_s: float = 120.0
    allow_noncommercial_weights: bool = True
    device: str = "auto"
    test_frame_delay_s: float = 0.0
    c2pa_cert: str = ""
    c2pa_key: str = ""
    c2pa_alg: str = "es256"
    c2pa_disabled: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunnerSettings:
        """Read settings from ``environ`` (default ``os.environ``); unset variables keep their defaults."""
        env = os.environ if environ is None else environ
        defaults = cls()
        settings = cls(
            redis_url=env.get("REDIS_URL", defaults.redis_url),
            broker_url=env.get("BROKER_URL", "").strip(),
            poll_ms=_number(env, "GPU_RUNNER_POLL_MS", defaults.poll_ms, int),
            storage_url=env.get("VIDEO_STORAGE_URL", defaults.storage_url),
            renderer=env.get("GPU_RUNNER_RENDERER", defaults.renderer).strip().lower(),
            hallo_models_dir=env.get("HALLO_MODELS_DIR", defaults.hallo_models_dir),
            health_host=env.get("GPU_RUNNER_HEALTH_HOST", defaults.health_host),
            health_port=_number(env, "GPU_RUNNER_HEALTH_PORT", defaults.health_port, int),
            default_voice=env.get("GPU_RUNNER_DEFAULT_VOICE", defaults.default_voice),
            offline_voice=env.get("GPU_RUNNER_OFFLINE_VOICE", defaults.offline_voice),
            voice_engines=tuple(
                name.strip().lower()
                for name in env.get("GPU_RUNNER_VOICE_ENGINES", ",".join(defaults.voice_engines)).split(",")
                if name.strip()
            ),
            max_audio_seconds=_number(env, "GPU_RUNNER_MAX_AUDIO_SECONDS", defaults.max_audio_seconds, float),
            heartbeat_timeout_s=_number(
                env, "GPU_RUNNER_HEARTBEAT_TIMEOUT_S", defaults.heartbeat_timeout_s, int
            ),
            maintenance_chance=_number(
                env, "GPU_RUNNER_MAINTENANCE_CHANCE", defaults.maintenance_chance, int
            ),
            storage_attempts=_number(env, "GPU_RUNNER_STORAGE_ATTEMPTS", defaults.storage_attempts, int),
            storage_backoff_s=_number(env, "GPU_RUNNER_STORAGE_BACKOFF_S", defaults.storage_backoff_s, float),
            event_retry_s=_number(env, "GPU_RUNNER_EVENT_RETRY_S", defaults.event_retry_s, float),
            job_time_limit_s=_number(env, "GPU_RUNNER_JOB_TIME_LIMIT_S", defaults.job_time_limit_s, int),
            stop_grace_s=_number(env, "GPU_RUNNER_STOP_GRACE_S", defaults.stop_grace_s, float),
            allow_noncommercial_weights=_flag(
                env, "GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS", defaults.allow_noncommercial_weights
            ),
            device=env.get("GPU_RUNNER_DEVICE", defaults.device).strip().lower(),
            test_frame_delay_s=_number(
                env, "GPU_RUNNER_TEST_FRAME_DELAY_S", defaults.test_frame_delay_s, float
            ),
            c2pa_cert=env.get("GPU_RUNNER_C2PA_CERT", defaults.c2pa_cert).strip(),
            c2pa_key=env.get("GPU_RUNNER_C2PA_KEY", defaults.c2pa_key).strip(),
            c2pa_alg=env.get("GPU_RUNNER_C2PA_ALG", defaults.c2pa_alg).strip().lower(),
            c2pa_disabled=_flag(env, "GPU_RUNNER_C2PA_DISABLED", defaults.c2pa_disabled),
        )
        settings.validate()
        return settings

    @property
    def broker(self) -> str:
        """The broker's URL: ``BROKER_URL``, else ``REDIS_URL``."""
        return self.broker_url or self.redis_url

    @property
    def state_redis_url(self) -> str:
        """The Redis of the shared state: the broker when it is Redis (the plugin reads it there), else
        ``REDIS_URL``."""
        return self.broker if self.broker_kind == "redis" else self.redis_url

    @property
    def broker_kind(self) -> str:
        """``"redis"`` or ``"rabbitmq"`` (validated at start)."""
        return broker_kind(self.broker)

    def validate(self) -> None:
        """Refuse values that would only fail later, in the middle of a job."""
        try:
            broker_kind(self.broker, "BROKER_URL" if self.broker_url else "REDIS_URL")
        except ProtocolError as exc:
            raise SettingsError(str(exc)) from None
        if not 10 <= self.poll_ms <= 5000:
            raise SettingsError(f"GPU_RUNNER_POLL_MS={self.poll_ms} must be between 10 and 5000 milliseconds")
        if self.renderer not in RENDERERS:
            raise SettingsError(f"GPU_RUNNER_RENDERER={self.renderer!r} is not one of {', '.join(RENDERERS)}")
        if self.device not in DEVICES:
            raise SettingsError(f"GPU_RUNNER_DEVICE={self.device!r} is not one of {', '.join(DEVICES)}")
        for variable, voice in (
            ("GPU_RUNNER_DEFAULT_VOICE", self.default_voice),
            ("GPU_RUNNER_OFFLINE_VOICE", self.offline_voice),
        ):
            try:
                check_voice_id(voice)
            except ProtocolError as exc:
                raise SettingsError(f"{variable}: {exc}") from None
        unknown_engines = sorted(set(self.voice_engines) - set(VOICE_ENGINES))
        if unknown_engines or not self.voice_engines:
            raise SettingsError(
                f"GPU_RUNNER_VOICE_ENGINES={','.join(self.voice_engines)!r} must name one or more of "
                f"{', '.join(VOICE_ENGINES)}"
            )
        offline_engine = self.offline_voice.partition(":")[0]
        if offline_engine not in self.voice_engines:
            raise SettingsError(
                f"GPU_RUNNER_OFFLINE_VOICE={self.offline_voice!r} is spoken by {offline_engine!r}, which "
                f"GPU_RUNNER_VOICE_ENGINES={','.join(self.voice_engines)!r} leaves out"
            )
        if not 0 <= self.health_port <= 65535:
            raise SettingsError(f"GPU_RUNNER_HEALTH_PORT={self.health_port} is not a TCP port (0..65535)")
        if self.max_audio_seconds <= 0 or self.job_time_limit_s <= 0 or self.heartbeat_timeout_s <= 0:
            raise SettingsError(
                "GPU_RUNNER_MAX_AUDIO_SECONDS, GPU_RUNNER_JOB_TIME_LIMIT_S and "
                "GPU_RUNNER_HEARTBEAT_TIMEOUT_S must be positive"
            )
        if not 0 < self.maintenance_chance <= 1_000_000:
            raise SettingsError(
                f"GPU_RUNNER_MAINTENANCE_CHANCE={self.maintenance_chance} must be between 1 and 1000000 "
                "(commands per million)"
            )
        if self.storage_attempts < 1 or self.storage_backoff_s < 0 or self.event_retry_s < 0:
            raise SettingsError(
                "GPU_RUNNER_STORAGE_ATTEMPTS must be at least 1, and GPU_RUNNER_STORAGE_BACKOFF_S and "
                "GPU_RUNNER_EVENT_RETRY_S must not be negative"
            )
        if self.stop_grace_s < 0:
            raise SettingsError(
                f"GPU_RUNNER_STOP_GRACE_S={self.stop_grace_s} must not be negative; 0 puts the current "
                "job back on its queue at once"
            )
        if self.c2pa_alg not in C2PA_ALGORITHMS:
            raise SettingsError(
                f"GPU_RUNNER_C2PA_ALG={self.c2pa_alg!r} is not one of {', '.join(C2PA_ALGORITHMS)}"
            )
        if self.test_frame_delay_s < 0:
            raise SettingsError(
                f"GPU_RUNNER_TEST_FRAME_DELAY_S={self.test_frame_delay_s} must not be negative; unset it"
            )


def _number(
    env: Mapping[str, str], name: str, default: int | float, kind: type[int] | type[float]
) -> int | float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}; unset it to use {default}") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean; use true or false")
