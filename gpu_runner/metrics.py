"""A runner's Prometheus figures, served at ``GET /metrics`` beside ``/health`` on the same port.

Our own figures live in a registry of this runner's (never prometheus-client's global one, so two runners in
one test process do not add up): renders by renderer and outcome, seconds per stage, fallbacks by kind,
failures by error code, jobs in flight, and GPU memory in use. The queue and actor figures (``dramatiq_*``)
are Dramatiq's own :class:`~dramatiq.middleware.prometheus.Prometheus` middleware's, added to the runner's
brokers by :meth:`RunnerMetrics.count_messages` and served from the same registry.

Labels carry only names from fixed sets (a renderer, a stage, an error code, a fallback's kind): never a job
id, a script, a voice, a note or anything an editor typed; a scrape tells how, never what.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from dramatiq.middleware.prometheus import Prometheus
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

#: Stages last from a fraction of a second (a still video's upload) to many minutes (a long Hallo2 render).
STAGE_BUCKETS_S = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, float("inf"))

#: Where a job's fallback came from: the voice (an offline voice instead of an online one), the renderer (e.g.
#: Hallo2 without its identity encoder) or the composition of the finished formats (a layout or a font).
FALLBACK_KINDS = ("voice", "renderer", "compose")

# The middleware's metrics, by the attribute its process-boot hook creates them under.
_DRAMATIQ_METRICS = (
    "total_messages",
    "total_errored_messages",
    "total_retried_messages",
    "total_rejected_messages",
    "inprogress_messages",
    "inprogress_delayed_messages",
    "message_durations",
)
# The variables the middleware's boot hook sets for a multi-process worker (see count_messages).
_MULTIPROCESS_VARIABLES = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")


class RunnerMetrics:
    """The figures of one runner process, and their exposition in Prometheus' text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.renders = Counter(
            "video_runner_renders",
            "Render jobs ended, by renderer and outcome (succeeded, failed, cancelled, requeued).",
            ["renderer", "outcome"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "video_runner_stage_seconds",
            "Seconds a job spent in each stage (tts, render, encode, compose, upload, ...).",
            ["stage"],
            buckets=STAGE_BUCKETS_S,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "video_runner_fallbacks",
            f"Fallbacks recorded on jobs, by kind ({', '.join(FALLBACK_KINDS)}).",
            ["kind"],
            registry=self.registry,
        )
        self.failures = Counter(
            "video_runner_failures",
            "Jobs that failed, by the error code reported to the plugin.",
            ["code"],
            registry=self.registry,
        )
        self.jobs_in_flight = Gauge(
            "video_runner_jobs_in_flight", "Render jobs running now.", registry=self.registry
        )
        self.registry.register(_GpuMemory())
        self._queue_figures: _DramatiqFigures | None = None
        self._lock = threading.Lock()

    def job_ended(self, renderer: str, outcome: str, timings: dict[str, float]) -> None:
        """Count a job that ended (``succeeded``, ``failed``, ``cancelled``, or ``requeued`` by a stopping
        runner) and the seconds of each stage it reached."""
        self.renders.labels(renderer=renderer, outcome=outcome).inc()
        for stage, seconds in timings.items():
            self.stage_seconds.labels(stage=stage).observe(seconds)

    def job_failed(self, code: str) -> None:
        """Count a failure by its :class:`~gpu_runner.protocol.ErrorCode`."""
        self.failures.labels(code=code).inc()

    def fallbacks_noted(self, kind: str, notes: list[str]) -> None:
        """Count the fallback ``notes`` of one kind (the notes themselves stay in the job's record)."""
        if kind not in FALLBACK_KINDS:
            raise ValueError(f"unknown fallback kind {kind!r}; use one of {', '.join(FALLBACK_KINDS)}")
        if notes:
            self.fallbacks.labels(kind=kind).inc(len(notes))

    def count_messages(self, broker: Any) -> None:
        """Add Dramatiq's Prometheus middleware to ``broker``, so its queue and actor figures join ours.

        Call before the broker's worker starts. All the runner's brokers share one middleware (its figures are
        labelled by queue and actor already). The Dramatiq CLI would run the middleware's boot hook in each
        worker process and serve a multi-process folder from a forked exposition server; the runner is one
        process that Dramatiq's CLI never starts, so the hook is run here, once, and the figures are served
        from memory on the health port. The hook also points prometheus-client at that folder through the
        environment, which only a later first import of prometheus-client would read; the variables are put
        back so that child processes and later code see the runner's environment as it was.
        """
        with self._lock:
            if self._queue_figures is None:
                middleware = Prometheus()
                saved = {name: os.environ.get(name) for name in _MULTIPROCESS_VARIABLES}
                try:
                    middleware.after_process_boot(broker)
                finally:
                    for name, value in saved.items():
                        if value is None:
                            os.environ.pop(name, None)
                        else:
                            os.environ[name] = value
                self._queue_figures = _DramatiqFigures(middleware)
                self.registry.register(self._queue_figures)
            broker.add_middleware(self._queue_figures.middleware)

    def exposition(self) -> bytes:
        """Every figure in Prometheus' text format, as ``GET /metrics`` serves it."""
        return generate_latest(self.registry)


class _DramatiqFigures:
    """Serves the metrics Dramatiq's Prometheus middleware made in its boot hook (in its own registry)."""

    def __init__(self, middleware: Prometheus) -> None:
        self.middleware = middleware

    def collect(self) -> Iterator[Metric]:
        for name in _DRAMATIQ_METRICS:
            yield from getattr(self.middleware, name).collect()


class _GpuMemory:
    """``video_runner_gpu_memory_bytes``: memory PyTorch holds on each CUDA device, read at scrape time.

    Only where the renderer already imported torch and CUDA is up: the ``still`` runner never loads torch, and
    a scrape must not load it either. Absent, not zero, where there is no GPU to measure.
    """

    def collect(self) -> Iterator[Metric]:
        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            return
        family = GaugeMetricFamily(
            "video_runner_gpu_memory_bytes",
            "GPU memory PyTorch has allocated on each device, in bytes.",
            labels=["device"],
        )
        for index in range(torch.cuda.device_count()):
            family.add_metric([str(index)], float(torch.cuda.memory_allocated(index)))
        yield family
