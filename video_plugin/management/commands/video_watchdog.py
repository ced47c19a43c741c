"""``manage.py video_watchdog [--loop] [--interval S]``: fail stuck video jobs now, or keep doing so."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from video_plugin.conf import video_settings
from video_plugin.jobs.watchdog import fail_stuck_jobs, reports_waiting, watch


class Command(BaseCommand):
    help = (
        "Fail video jobs that are stuck (running without a report, or never started) with 'timed_out'. "
        "The events worker already does this every WATCHDOG_INTERVAL_S when its middleware lists "
        "video_plugin.jobs.watchdog_middleware.WatchdogMiddleware; use this from cron, or with --loop alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep checking until SIGTERM or Ctrl-C")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between checks with --loop (default: WAGTAIL_VIDEO['WATCHDOG_INTERVAL_S'])",
        )

    def handle(self, *args: Any, loop: bool, interval: float | None, **options: Any) -> None:
        if loop:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            watch(interval or float(video_settings.WATCHDOG_INTERVAL_S), stop)
            return
        now = timezone.now()
        waiting = reports_waiting()
        if waiting:
            # Those may be the very reports that show a job alive: judging now could fail a live job.
            self.stdout.write(
                f"{waiting} message(s) wait on the events queue; no job judged until the events worker has "
                "caught up (run this again then)"
            )
            return
        failed = fail_stuck_jobs(heard_until=now, now=now)
        for job in failed:
            self.stdout.write(f"failed {job.job_id} (page {job.page_id}): {job.error_message}")
        self.stdout.write(f"{len(failed)} stuck job(s) failed")
