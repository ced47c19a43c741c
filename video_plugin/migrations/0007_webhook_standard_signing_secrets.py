"""Webhook secrets in the Standard Webhooks form, without changing any endpoint's key.

An endpoint's old secret string was its HMAC key. Its new secret is ``whsec_`` + base64 of that string's UTF-8
bytes: the same key, in the form the ``standardwebhooks`` libraries read. The old string moves to
``legacy_secret`` so that deliveries keep carrying the old headers, signed as before, until the owner rotates
the secret (``video_plugin.webhooks.legacy_signing``).
"""

import base64

from django.db import migrations, models

import video_plugin.webhooks.signing


def standard_form(secret: str) -> str:
    # Written out here rather than imported: a migration must keep doing what it did when it was written.
    return "whsec_" + base64.b64encode(secret.encode()).decode("ascii")


def to_standard_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("video_plugin", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.filter(legacy_secret="").only("pk", "secret"):
        endpoint.legacy_secret = endpoint.secret
        endpoint.secret = standard_form(endpoint.secret)
        endpoint.save(update_fields=["secret", "legacy_secret"])


def to_legacy_secrets(apps, schema_editor):
    # Endpoints created since keep their standard secret: the old code signs with any string.
    WebhookEndpoint = apps.get_model("video_plugin", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.exclude(legacy_secret="").only("pk", "secret", "legacy_secret"):
        if endpoint.secret == standard_form(endpoint.legacy_secret):
            endpoint.secret = endpoint.legacy_secret
            endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("video_plugin", "0006_finished_videos_brand_kit"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="legacy_secret",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        # Room for the base64 of any old secret (at most 100 characters).
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(
                default=video_plugin.webhooks.signing.new_secret, editable=False, max_length=150
            ),
        ),
        migrations.RunPython(to_standard_secrets, to_legacy_secrets),
    ]
