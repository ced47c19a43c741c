"""The events worker's settings in the watchdog test: the shop's, with the watchdog on a seconds scale."""

from shop.settings import *  # noqa: F403
from shop.settings import DRAMATIQ_BROKER, WAGTAIL_VIDEO

WAGTAIL_VIDEO = {**WAGTAIL_VIDEO, "WATCHDOG_INTERVAL_S": 1, "STUCK_RUNNING_S": 3}
DRAMATIQ_BROKER = {
    **DRAMATIQ_BROKER,
    "MIDDLEWARE": [
        *DRAMATIQ_BROKER["MIDDLEWARE"],
        "video_plugin.jobs.watchdog_middleware.WatchdogMiddleware",
    ],
}
