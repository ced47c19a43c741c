"""The resident runner: loads TTS and the renderer once, then consumes ``render_video`` one job at a time.

Dramatiq runs in-process (not through its CLI) with one worker thread and a prefetch of one, so the models
stay loaded for the life of the process and a second job is never held hostage while the first renders.

``attempt`` in events is counted by the runner in Redis (``INCR`` on a per-job key): the actor has
``max_retries=0``, so Dramatiq's ``retries`` option stays 0, and a message redelivered after a crash (requeued
by broker maintenance once the dead worker's heartbeat expires) arrives byte-for-byte as it was first sent.
Only a counter outside the message can tell the plugin "this is the second try".
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from .brokers import open_broker, verify_queues
from .credentials import ContentCredentials
from .events import JobReporter, Publish, broker_publisher
from .health import CapabilitiesPublisher, HealthServer
from .heartbeat import BrokerHeartbeat, heartbeat_interval
from .jobs import JobEnvironment, job_error_for, run_job
from .previews import VoicePreviewer
from .protocol import (
    EVENTS_QUEUE,
    PREVIEW_ACTOR,
    PREVIEW_QUEUE,
    PROTOCOL_VERSION,
    RENDER_ACTOR,
    RENDER_LANES,
    ErrorCode,
    JobError,
    ProtocolError,
    RenderRequest,
    cancel_key,
    is_job_id,
)
from .renderers import create_renderer
from .renderers.base import JobCancelled
from .settings import RunnerSettings
from .shutdown import HANDED_BACK_NOTE, GracefulStop, RequeueOnStop, RunnerStopping, stop_budget_s
from .storage import open_storage
from .tts import build_speech_service

logger = logging.getLogger(__name__)

ATTEMPT_KEY_TTL_S = 7 * 24 * 3600


def attempt_key(job_id: str) -> str:
    """The runner's own Redis counter of deliveries of one job (see the module docstring)."""
    return f"aivideo:attempts:{job_id}"


def finished_key(job_id: str) -> str:
    """Set once a runner has sent a job's final report: a later delivery of that job is a duplicate."""
    return f"aivideo:finished:{job_id}"


class Runner:
    """One runner process's state: its loaded engines and renderer, and what it has done since boot."""

    def __init__(
        self,
        env: JobEnvironment,
        publish: Publish,
        redis: Any | None = None,
        graceful_stop: GracefulStop | None = None,
    ) -> None:
        self.env = env
        self.publish = publish
        self.redis = redis
        # Never begun unless serve() begins it on SIGTERM: until then no job is ever handed back.
        self.graceful_stop = graceful_stop or GracefulStop(grace_s=0.0)
        self.runner_id = f"{socket.gethostname()}-{os.getpid()}"
        self.status = "starting"
        self.jobs_done = 0
        self.jobs_failed = 0
        self.current_job: str | None = None
        self.loaded: list[str] = []
        self.started_at = time.time()
        self._lock = threading.Lock()
        self._status_listeners: list[Callable[[], None]] = []

    def on_status_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the loading or the job's thread) when the runner becomes ready and
        whenever a job starts or ends.

        The capabilities record is otherwise only refreshed every few seconds; an editor reading "1 busy"
        beside a finished video would wait for the next refresh to see the runner free again.
        """
        self._status_listeners.append(listener)

    def _set_status(self, status: str, current_job: str | None) -> None:
        with self._lock:
            self.status, self.current_job = status, current_job
        for listener in self._status_listeners:
            listener()

    def load(self) -> None:
        """Load the TTS engines and the renderer. Called once, before the first message is consumed."""
        self.env.speech.load()
        self.loaded.extend(f"tts:{engine.name}" for engine in self.env.speech.engines)
        self.env.renderer.load()
        self.loaded.append(f"renderer:{self.env.renderer.name}")
        # Listeners publish the record at once: a runner is offered to editors as soon as it is ready, not at
        # the next periodic refresh (and a first refresh attempted mid-load may have failed).
        self._set_status("ready", None)
        logger.info(
            "runner %s ready: renderer %s (%s)",
            self.runner_id,
            self.env.renderer.name,
            self.env.renderer.weights(),
        )

    def handle_message(self, payload: Any, retries: int = 0) -> None:
        """Run the job in a ``render_video`` message's ``request``. Never raises for a job's failure: it sends
        an event, and a malformed request is logged (and reported, when it names a job)."""
        try:
            request = RenderRequest.from_dict(payload)
        except ProtocolError as exc:
            job_id = payload.get("job_id") if isinstance(payload, dict) else None
            logger.error("rejected render_video message (job %s): %s", job_id or "unknown", exc)
            # Only a well-formed id is echoed back: anything else could not name a job the plugin knows.
            if is_job_id(job_id):
                reporter = JobReporter(job_id, self._next_attempt(job_id, retries), self.publish)
                reporter.failed(JobError(ErrorCode.BAD_MESSAGE, f"the render request was malformed: {exc}"))
                # It was reported as a failed job, so /health and /metrics count it as one.
                with self._lock:
                    self.jobs_failed += 1
                self.env.metrics.job_failed(ErrorCode.BAD_MESSAGE)
            return
        if self._finished_before(request.job_id):
            # RabbitMQ redelivers the message a runner held when the broker restarted, even though that
            # runner went on to finish the job: a finished job is never rendered twice.
            logger.warning(
                "job %s was delivered again after it had finished; not rendering it again", request.job_id
            )
            return
        self.run(request, retries)

    def run(self, request: RenderRequest, retries: int = 0) -> bool:
        """Run one validated job, sending its events. Returns whether it succeeded."""
        reporter = JobReporter(
            request.job_id,
            self._next_attempt(request.job_id, retries),
            self.publish,
            is_cancelled=functools.partial(self._cancel_check, request.job_id),
        )
        self._set_status("busy", request.job_id)
        metrics = self.env.metrics
        metrics.jobs_in_flight.inc()
        succeeded = False
        outcome = "failed"
        reported_final = False
        try:
            renderer = self.env.renderer
            reporter.info.update(
                {"renderer": renderer.name, "weights": renderer.weights(), "runner": self.runner_id}
            )
            reporter.started()
            result = run_job(request, self.env, reporter)
            # The runner shows itself free before the job's last event: the plugin learns the job ended from
            # that event, and must not then read a record still calling this runner busy with it.
            self._set_status("ready", None)
            reporter.succeeded(result)
            reported_final = succeeded = True
            outcome = "succeeded"
        except RunnerStopping as stopping:
            # Neither failed nor cancelled: the job's message goes back on its queue (gpu_runner.shutdown).
            logger.warning("%s during %s; putting it back on its queue", stopping, reporter.stage)
            self._set_status("ready", None)
            reporter.record(fallbacks=[*reporter.info.get("fallbacks", []), HANDED_BACK_NOTE])
            self.graceful_stop.hand_back()
            outcome = "requeued"
        except JobCancelled:
            logger.info("job %s cancelled during %s", request.job_id, reporter.stage)
            self._set_status("ready", None)
            reporter.cancelled()
            reported_final = True
            outcome = "cancelled"
        except BaseException as exc:  # noqa: B036 - TimeLimitExceeded is a BaseException; it still ends the job
            error = job_error_for(exc, reporter.stage)
            log = (
                logger.exception
                if error.code in (ErrorCode.INTERNAL, ErrorCode.TIMED_OUT)
                else logger.warning
            )
            log("job %s failed (%s): %s", request.job_id, error.code, error.message)
            self._set_status("ready", None)
            metrics.job_failed(error.code)
            reporter.failed(error)
            reported_final = True
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
        finally:
            if reported_final:
                self._remember_finished(request.job_id)
            with self._lock:
                self.jobs_done += succeeded
                self.jobs_failed += not succeeded
            metrics.jobs_in_flight.dec()
            metrics.job_ended(self.env.renderer.name, outcome, reporter.timings)
        return succeeded

    def health(self) -> dict[str, Any]:
        """The state ``/health`` reports and the capabilities record is built from."""
        with self._lock:
            status, current, done, failed = self.status, self.current_job, self.jobs_done, self.jobs_failed
        speech = self.env.speech
        return {
            "status": status,
            "runner_id": self.runner_id,
            "renderer": self.env.renderer.describe(),
            "models_loaded": status != "starting",
            "models": list(self.loaded),
            "jobs_done": done,
            "jobs_failed": failed,
            "current_job": current,
            "cuda_available": cuda_available(),
            "tts": speech.describe(),
            "online": any(engine.online and engine.available for engine in speech.engines),
            "default_voice": speech.default_voice,
            "uptime_s": round(time.time() - self.started_at, 1),
        }

    def capabilities(self) -> dict[str, Any]:
        """The capabilities record (its shape is documented at :func:`gpu_runner.protocol.runner_key`)."""
        health = self.health()
        return {
            "v": PROTOCOL_VERSION,
            "runner_id": self.runner_id,
            "host": socket.gethostname(),
            "renderer": health["renderer"],
            "voices": self.env.speech.voices_by_language(),
            "default_voice": health["default_voice"],
            "online": health["online"],
            "status": health["status"],
            "jobs_done": health["jobs_done"],
            "jobs_failed": health["jobs_failed"],
            "current_job": health["current_job"],
            "updated_at": time.time(),
        }

    def _next_attempt(self, job_id: str, retries: int) -> int:
        if self.redis is None:
            return retries + 1
        key = attempt_key(job_id)
        try:
            delivered = int(self.redis.incr(key))
            self.redis.expire(key, ATTEMPT_KEY_TTL_S)
        except Exception as exc:  # the broker's own Redis being down will surface on the next enqueue anyway
            logger.warning("could not count attempts of job %s in Redis: %s", job_id, exc)
            return retries + 1
        return max(delivered, retries + 1)

    def _finished_before(self, job_id: str) -> bool:
        if self.redis is None:
            return False
        try:
            return bool(self.redis.exists(finished_key(job_id)))
        except Exception as exc:  # unknown: render it; the plugin ignores reports on a job already finished
            logger.warning("could not check whether job %s already finished: %s", job_id, exc)
            return False

    def _remember_finished(self, job_id: str) -> None:
        if self.redis is None:
            return
        try:
            self.redis.set(finished_key(job_id), "1", ex=ATTEMPT_KEY_TTL_S)
        except Exception as exc:  # only costs a second render should the broker redeliver this job
            logger.warning("could not record that job %s finished: %s", job_id, exc)

    def _cancel_check(self, job_id: str) -> bool:
        """Whether an editor cancelled the job; raises :class:`RunnerStopping` once a stop's grace is over."""
        if self._is_cancelled(job_id):
            return True
        self.graceful_stop.check(job_id)
        return False

    def _is_cancelled(self, job_id: str) -> bool:
        if self.redis is None:
            return False
        try:
            return bool(self.redis.exists(cancel_key(job_id)))
        except Exception as exc:  # a Redis blip must not kill a render that is otherwise fine
            logger.warning("could not check cancellation of job %s: %s", job_id, exc)
            return False


@functools.cache
def cuda_available() -> bool | None:
    """``torch.cuda.is_available()`` when torch is installed, ``None`` when it is not (the ``still`` path)."""
    try:
        import torch
    except ImportError:
        return None
    return bool(torch.cuda.is_available())


def build_environment(settings: RunnerSettings, credentials: ContentCredentials) -> JobEnvironment:
    """Construct (not load) the storage, TTS engines and renderer the settings name, signing with
    ``credentials`` (:meth:`ContentCredentials.from_settings`)."""
    return JobEnvironment(
        settings=settings,
        storage=open_storage(settings.storage_url, settings.storage_attempts, settings.storage_backoff_s),
        speech=build_speech_service(
            default_voice=settings.default_voice,
            offline_voice=settings.offline_voice,
            engines=settings.voice_engines,
        ),
        renderer=create_renderer(settings.renderer, settings),
        credentials=credentials,
    )


def build_broker(settings: RunnerSettings) -> Any:
    """The broker ``BROKER_URL`` names (Redis or RabbitMQ, see :mod:`gpu_runner.brokers`)."""
    return open_broker(settings)


def register_actor(broker: Any, runner: Runner, settings: RunnerSettings) -> Callable[..., None]:
    """Declare the render actor of every lane (``protocol.RENDER_LANES``) on ``broker``.

    They all run the same job; their Dramatiq priorities differ, so when messages of several lanes are
    waiting, the single worker thread takes the editor's first, then the publish, then the batch. Returns the
    interactive actor.
    """
    import dramatiq
    from dramatiq.middleware import CurrentMessage

    def render_video(request: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        runner.handle_message(request, retries)

    actors = {
        lane.actor: dramatiq.actor(
            render_video,
            broker=broker,
            actor_name=lane.actor,
            queue_name=lane.queue,
            priority=lane.priority,
            max_retries=0,
            time_limit=settings.job_time_limit_s * 1000,
        )
        for lane in RENDER_LANES
    }
    return actors[RENDER_ACTOR]


def register_preview_actor(broker: Any, previewer: VoicePreviewer) -> Callable[..., None]:
    """Declare ``preview_voice`` on its own queue; a preview takes seconds, so one try is enough."""
    import dramatiq

    def preview_voice(request: dict[str, Any]) -> None:
        previewer.handle_message(request)

    return dramatiq.actor(
        preview_voice, broker=broker, actor_name=PREVIEW_ACTOR, queue_name=PREVIEW_QUEUE, max_retries=0
    )


def start_preview_worker(broker: Any, poll_ms: int = RunnerSettings.poll_ms) -> Any:
    """A second worker thread for voice previews alone, so a preview never waits behind a render."""
    import dramatiq

    worker = dramatiq.Worker(broker, worker_threads=1, queues={PREVIEW_QUEUE}, worker_timeout=poll_ms)
    worker.queue_prefetch = 1
    worker.start()
    return worker


def start_worker(broker: Any, poll_ms: int = RunnerSettings.poll_ms) -> Any:
    """Start one Dramatiq worker thread on every render lane, prefetching a single message from each.

    ``poll_ms`` caps an idle Redis consumer's backoff between fetches: with Dramatiq's default (a second) a
    click waits half a second on average before a runner sees it. RabbitMQ pushes, so it only bounds how
    often its consumer wakes with nothing to do.
    """
    import dramatiq

    worker = dramatiq.Worker(
        broker, worker_threads=1, queues={lane.queue for lane in RENDER_LANES}, worker_timeout=poll_ms
    )
    # dramatiq reads dramatiq_queue_prefetch when it is first imported, which may precede our environment
    # setting (cli.serve sets it early); the attribute is what the consumer uses, so pin it here too.
    worker.queue_prefetch = 1
    worker.start()
    return worker


def serve(settings: RunnerSettings, stop: threading.Event | None = None) -> None:
    """Boot (load everything once), serve ``/health``, publish capabilities, consume until signalled."""
    from redis import Redis

    # First of all: a certificate that cannot sign stops the runner before it touches the broker.
    credentials = ContentCredentials.from_settings(settings)
    broker = build_broker(settings)
    # Before anything loads: a broker that cannot carry our queues stops the runner now, with the reason.
    verify_queues(broker, [*(lane.queue for lane in RENDER_LANES), PREVIEW_QUEUE, EVENTS_QUEUE])
    redis = Redis.from_url(settings.state_redis_url)
    graceful_stop = GracefulStop(settings.stop_grace_s)
    runner = Runner(
        build_environment(settings, credentials),
        broker_publisher(broker, settings.event_retry_s),
        redis,
        graceful_stop,
    )
    # Only Redis needs the heartbeat kept fresh: RabbitMQ sees a dead runner by its dropped connection.
    heartbeat = None
    if settings.broker_kind == "redis":
        heartbeat = BrokerHeartbeat(broker, heartbeat_interval(settings.heartbeat_timeout_s))
        heartbeat.start()
    health = HealthServer(
        runner.health, settings.health_host, settings.health_port, metrics=runner.env.metrics.exposition
    )
    health.start()
    publisher = CapabilitiesPublisher(redis, runner.runner_id, runner.capabilities)
    publisher.start()
    runner.on_status_change(publisher.publish_now)
    runner.load()
    register_actor(broker, runner, settings)
    broker.add_middleware(RequeueOnStop(graceful_stop))
    # Each Dramatiq worker gets a broker of its own: a broker serves one worker (it holds that worker's
    # middleware), and two on one broker make Dramatiq warn at every boot.
    preview_broker = build_broker(settings)
    register_preview_actor(preview_broker, VoicePreviewer(runner.env.speech, runner.env.storage))
    # Dramatiq's queue and actor figures, served on /metrics beside the runner's own.
    for consuming in (broker, preview_broker):
        runner.env.metrics.count_messages(consuming)
    worker = start_worker(broker, settings.poll_ms)
    preview_worker = start_preview_worker(preview_broker, settings.poll_ms)
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logger.info(
        "consuming %s, and %s on its own thread; health on http://%s:%d/health",
        ", ".join(lane.queue for lane in RENDER_LANES),
        PREVIEW_QUEUE,
        settings.health_host,
        health.port,
    )
    try:
        stop.wait()
    finally:
        # The job in hand may finish within the grace; past it, it is handed back (gpu_runner.shutdown).
        graceful_stop.begin()
        logger.info("stopping: the current job has %g s to finish", settings.stop_grace_s)
        worker.stop(timeout=int(stop_budget_s(settings.stop_grace_s) * 1000))
        preview_worker.stop()
        if heartbeat is not None:
            heartbeat.stop()
        publisher.stop()
        health.stop()
        preview_broker.close()
        broker.close()
