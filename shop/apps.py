"""App configuration for the example shop."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shop import role_sync

        role_sync.connect()
        # post_migrate is sent once per app with models, in INSTALLED_APPS order, and each app's permissions
        # are created when its own signal is sent. Listening for the last app's signal runs the sync once per
        # migrate, after the permissions of Wagtail, wagtailmedia and video_plugin exist.
        last_app = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
        post_migrate.connect(
            role_sync.sync_after_migrate,
            sender=last_app,
            dispatch_uid="shop.sync_organizations_after_migrate",
        )
