"""The events worker's settings in the metrics test: the shop's, with webhooks to a loopback receiver."""

from shop.settings import *  # noqa: F403
from shop.settings import WAGTAIL_VIDEO

WAGTAIL_VIDEO = {**WAGTAIL_VIDEO, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True}
