# The voice-id rule moved into the contract (gpu_runner.protocol.check_voice_id); the field checks it there.

from django.db import migrations, models

import shop.models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organization",
            name="default_voice",
            field=models.CharField(
                default="espeak:en-us", max_length=100, validators=[shop.models.validate_voice_id]
            ),
        ),
    ]
