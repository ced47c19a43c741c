"""``GET /video/metrics``: the web side's figures for Prometheus, read from the database and the broker at
each scrape.

Jobs by state and lane (one aggregate query), messages waiting on each render lane (the broker's own count),
and webhook deliveries by outcome (one aggregate query). Being read at scrape time, they are right however
many web processes serve the site, with no folder shared between them. The events worker's counters and
Dramatiq's figures are served by the events worker itself (:mod:`video_plugin.metrics_worker`); each runner
serves its own on its health port (:mod:`gpu_runner.metrics`).

The view answers only a bearer token equal to ``WAGTAIL_VIDEO["METRICS_TOKEN"]``, and 404 while that is unset.
Labels are states, lanes and outcomes: a scrape names no organization, page, job, script, person or token.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from collections.abc import Iterator

import dramatiq
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from gpu_runner.protocol import RENDER_LANES, render_lane
from video_plugin.conf import video_settings
from video_plugin.jobs.brokers import queue_depth
from video_plugin.models import VideoJob, WebhookDelivery

logger = logging.getLogger(__name__)

# The deliveries' states as outcomes, in the words the events worker's attempt counter uses.
DELIVERY_OUTCOMES = {
    WebhookDelivery.Status.PENDING: "pending",
    WebhookDelivery.Status.SUCCEEDED: "delivered",
    WebhookDelivery.Status.FAILED: "failed",
}


class SiteFigures:
    """The collector behind the view: every figure computed when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        yield self._jobs()
        yield self._queue_depth()
        yield self._deliveries()

    def _jobs(self) -> Metric:
        family = GaugeMetricFamily(
            "video_jobs", "Jobs by state and lane (render queue), in the database.", labels=["state", "lane"]
        )
        rows = VideoJob.objects.order_by().values("status", "trigger").annotate(jobs=Count("pk"))
        counted: Counter[tuple[str, str]] = Counter()
        for row in rows:
            counted[(row["status"], render_lane(row["trigger"]).queue)] += row["jobs"]
        # Every state of every lane, none left out for having no jobs: a dashboard's zero is then a zero.
        for state in VideoJob.Status.values:
            for lane in RENDER_LANES:
                family.add_metric([state, lane.queue], counted[(state, lane.queue)])
        return family

    def _queue_depth(self) -> Metric:
        family = GaugeMetricFamily(
            "video_queue_depth", "Messages waiting for a runner on each render lane.", labels=["lane"]
        )
        broker = dramatiq.get_broker()
        for lane in RENDER_LANES:
            try:
                depth = queue_depth(broker, lane.queue)
            except Exception as exc:  # the broker down: the database figures are still worth scraping
                logger.warning("could not read the depth of queue %s: %s", lane.queue, exc)
                continue
            if depth is not None:
                family.add_metric([lane.queue], depth)
        return family

    def _deliveries(self) -> Metric:
        family = GaugeMetricFamily(
            "video_webhook_deliveries",
            f"Webhook deliveries by outcome ({', '.join(DELIVERY_OUTCOMES.values())}), from the database.",
            labels=["outcome"],
        )
        rows = WebhookDelivery.objects.order_by().values("status").annotate(deliveries=Count("pk"))
        counted = {row["status"]: row["deliveries"] for row in rows}
        for status, outcome in DELIVERY_OUTCOMES.items():
            family.add_metric([outcome], counted.get(status, 0))
        return family


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, to a request bearing the metrics token; 404 while no token is set."""
    token = video_settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            'a bearer token is required: send "Authorization: Bearer <WAGTAIL_VIDEO["METRICS_TOKEN"]>"\n',
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    registry.register(SiteFigures())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
