"""The Dramatiq middleware that runs :mod:`video_plugin.jobs.watchdog` inside each events worker process.

Add ``"video_plugin.jobs.watchdog_middleware.WatchdogMiddleware"`` to ``DRAMATIQ_BROKER["MIDDLEWARE"]``.
It lives apart from the watchdog because django-dramatiq builds the middleware while Django's app registry
is still loading, before any model can be imported.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from video_plugin.conf import video_settings

logger = logging.getLogger(__name__)


class WatchdogMiddleware(dramatiq.Middleware):
    """Runs :func:`video_plugin.jobs.watchdog.watch` in a daemon thread from worker boot to shutdown."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from video_plugin.jobs.watchdog import watch  # the app registry is ready by now

        interval = float(video_settings.WATCHDOG_INTERVAL_S)
        thread = threading.Thread(target=watch, args=(interval, self._stop), name="video-watchdog")
        thread.daemon = True
        thread.start()
        logger.info(
            "video watchdog every %s s (running jobs silent %s s, queued jobs %s s)",
            interval,
            video_settings.STUCK_RUNNING_S,
            video_settings.STUCK_QUEUED_S,
        )

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
