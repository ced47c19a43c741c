"""The shop's presenter photos become presenters: each organization's default photo and each product page's
own, with no consent recorded (video_plugin's 0008 explains why)."""

from importlib import import_module

from django.db import migrations

adopt_photo = import_module("video_plugin.migrations.0008_presenters_consent_disclosure").adopt_photo


def photos_become_presenters(apps, schema_editor):
    Organization = apps.get_model("shop", "Organization")
    ProductIndexPage = apps.get_model("shop", "ProductIndexPage")
    ProductPage = apps.get_model("shop", "ProductPage")
    for organization in Organization.objects.filter(default_presenter_image__isnull=False):
        adopt_photo(apps, organization.pk, organization.default_presenter_image_id)
    for index in ProductIndexPage.objects.all():
        pages = ProductPage.objects.filter(path__startswith=index.path, presenter_image__isnull=False)
        for image_id in pages.values_list("presenter_image_id", flat=True).distinct():
            adopt_photo(apps, index.organization_id, image_id)


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0004_product_gallery"),
        ("video_plugin", "0008_presenters_consent_disclosure"),
    ]

    operations = [migrations.RunPython(photos_become_presenters, migrations.RunPython.noop)]
