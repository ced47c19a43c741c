"""App configuration: connects the publish hook."""

from django.apps import AppConfig


class VideoPluginConfig(AppConfig):
    name = "video_plugin"
    label = "video_plugin"
    verbose_name = "Presenter videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from video_plugin.jobs import signals

        signals.connect()
