"""The events worker's own figures: jobs reaching each state by lane, and webhook attempts by outcome.

They are served with Dramatiq's queue and actor figures by the exposition server of Dramatiq's Prometheus
middleware (``dramatiq.middleware.prometheus.Prometheus`` in ``DRAMATIQ_BROKER["MIDDLEWARE"]``; port
``dramatiq_prom_port``, 9191 by default). That server is a process of its own: it reads the figures every
worker process writes into the folder ``dramatiq_prom_db`` names, through prometheus-client's multi-process
mode. prometheus-client chooses between values in memory and values in that folder when it is first imported,
from ``PROMETHEUS_MULTIPROC_DIR``, which the middleware sets at process boot, after Django (and so this
module) has loaded. The counters are therefore made, and prometheus-client imported, at their first use,
which in a worker comes after boot.

Outside the events worker (the web process, a test) the counters live in memory and go nowhere: the web side's
``/video/metrics`` reads its figures from the database instead (:mod:`video_plugin.metrics`).

Labels are the job's state and lane (its render queue) and the attempt's outcome: never a job, a page, an
endpoint's URL or anything an editor typed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from gpu_runner.protocol import render_lane

#: What a webhook delivery attempt came to: delivered, failed with another to come, or failed for good.
WEBHOOK_OUTCOMES = ("delivered", "retrying", "failed")


@dataclass(frozen=True)
class _Counters:
    registry: Any
    job_states: Any
    webhook_attempts: Any


_lock = threading.Lock()
_counters: _Counters | None = None


def counters() -> _Counters:
    """The worker's counters, made at the first call (see the module docstring for why not at import)."""
    global _counters
    with _lock:
        if _counters is None:
            # Imported here, not at the top: the value store is chosen at import (module docstring).
            import prometheus_client

            registry = prometheus_client.CollectorRegistry()
            _counters = _Counters(
                registry=registry,
                job_states=prometheus_client.Counter(
                    "video_job_states",
                    "Jobs the events worker moved into each state, by state and lane (render queue).",
                    ["state", "lane"],
                    registry=registry,
                ),
                webhook_attempts=prometheus_client.Counter(
                    "video_webhook_attempts",
                    f"Webhook delivery attempts, by outcome ({', '.join(WEBHOOK_OUTCOMES)}).",
                    ["outcome"],
                    registry=registry,
                ),
            )
        return _counters


def job_reached(state: str, trigger: str) -> None:
    """Count a job that moved into ``state``; its lane is the one its ``trigger`` sends it on."""
    counters().job_states.labels(state=state, lane=render_lane(trigger).queue).inc()


def webhook_attempted(outcome: str) -> None:
    """Count one webhook delivery attempt by its outcome (one of :data:`WEBHOOK_OUTCOMES`)."""
    if outcome not in WEBHOOK_OUTCOMES:
        raise ValueError(f"unknown webhook outcome {outcome!r}; use one of {', '.join(WEBHOOK_OUTCOMES)}")
    counters().webhook_attempts.labels(outcome=outcome).inc()
