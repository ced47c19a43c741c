"""App configuration: connects the publish and job-deletion hooks and registers the system checks."""

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class VideoPluginConfig(AppConfig):
    name = "video_plugin"
    label = "video_plugin"
    verbose_name = _("Presenter videos")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from video_plugin import checks as video_checks
        from video_plugin.jobs import leftovers, signals

        signals.connect()
        leftovers.connect()
        for check in video_checks.CHECKS:
            checks.register(check, "video_plugin")
