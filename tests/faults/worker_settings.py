"""The events worker's settings in the watchdog test: the shop's (whose broker middleware runs the watchdog),
with the watchdog on a seconds scale."""

from shop.settings import *  # noqa: F403
from shop.settings import WAGTAIL_VIDEO

WAGTAIL_VIDEO = {**WAGTAIL_VIDEO, "WATCHDOG_INTERVAL_S": 1, "STUCK_RUNNING_S": 3}
