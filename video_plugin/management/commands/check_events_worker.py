"""``manage.py check_events_worker``: the events worker's container healthcheck.

Healthy means: an events worker (``rundramatiq`` on the events queue) runs on this host, and the broker
and the database it needs both answer. Exit status 1 with the reason otherwise.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from gpu_runner.protocol import EVENTS_QUEUE
from video_plugin.jobs.brokers import broker_answers


def events_worker_running() -> bool:
    """Whether a process on this host runs ``rundramatiq`` consuming the events queue."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"rundramatiq" in argv and EVENTS_QUEUE.encode() in argv:
            return True
    return False


class Command(BaseCommand):
    help = "Exit 0 when the events worker runs here and its broker and database answer."

    def handle(self, *args, **options) -> None:
        if not events_worker_running():
            raise CommandError(f"no `rundramatiq --queues {EVENTS_QUEUE}` process runs on this host")
        try:
            broker_answers()
        except Exception as exc:  # redis and pika raise several connection error types
            raise CommandError(f"the broker does not answer: {exc}") from exc
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            raise CommandError(f"the database does not answer: {exc}") from exc
        self.stdout.write(self.style.SUCCESS("events worker healthy"))
