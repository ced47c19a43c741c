import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import video_plugin.models

# Wagtail 8 names its swappable Page model in WAGTAIL_PAGE_MODEL; Wagtail 7.4 has only wagtailcore.Page.
PAGE_MODEL = getattr(settings, "WAGTAIL_PAGE_MODEL", "wagtailcore.page")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("wagtailimages", "0027_image_description"),
        ("wagtailmedia", "0005_alter_media_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(PAGE_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VideoJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "job_id",
                    models.CharField(
                        default=video_plugin.models.new_job_id, editable=False, max_length=64, unique=True
                    ),
                ),
                ("organization_id", models.PositiveBigIntegerField(db_index=True)),
                (
                    "trigger",
                    models.CharField(
                        choices=[("editor", "Editor"), ("publish", "Publish"), ("api", "API")], max_length=16
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("succeeded", "Succeeded"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                ("stage", models.CharField(blank=True, max_length=16)),
                ("fraction", models.FloatField(blank=True, null=True)),
                ("eta_s", models.FloatField(blank=True, null=True)),
                ("attempt", models.PositiveIntegerField(default=0)),
                ("last_event_at", models.FloatField(default=0.0)),
                ("timings", models.JSONField(blank=True, default=dict)),
                ("script", models.TextField(blank=True)),
                (
                    "voice",
                    models.CharField(
                        help_text="Requested voice, engine-qualified (espeak:en-us).", max_length=200
                    ),
                ),
                (
                    "voice_engine",
                    models.CharField(blank=True, help_text="Engine that actually spoke.", max_length=32),
                ),
                (
                    "voice_used",
                    models.CharField(blank=True, help_text="Voice that actually spoke.", max_length=200),
                ),
                ("renderer", models.CharField(help_text="Requested renderer.", max_length=32)),
                ("renderer_used", models.CharField(blank=True, max_length=32)),
                (
                    "weights",
                    models.CharField(
                        blank=True, help_text="Model weights version that rendered.", max_length=200
                    ),
                ),
                ("fallbacks", models.JSONField(blank=True, default=list)),
                ("image_key", models.CharField(blank=True, max_length=1024)),
                ("output_key", models.CharField(blank=True, max_length=255)),
                ("input_hash", models.CharField(blank=True, db_index=True, max_length=64)),
                ("error_code", models.CharField(blank=True, max_length=32)),
                ("error_message", models.TextField(blank=True)),
                ("is_current", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "image",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="wagtailimages.image",
                    ),
                ),
                (
                    "media",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="wagtailmedia.media",
                    ),
                ),
                (
                    "page",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=PAGE_MODEL,
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_current", True)),
                        fields=("page",),
                        name="video_one_current_per_page",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["queued", "running"])),
                        fields=("page",),
                        name="video_one_active_per_page",
                    ),
                ],
            },
        ),
    ]
