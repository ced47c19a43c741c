from django.db import migrations, models

# The wording every kit got by default before the label followed each page's language.
OLD_DEFAULT = "AI-generated"


def label_in_page_language(apps, schema_editor):
    """Kits that kept the old default wording now label each video in its page's language (English pages
    still say "AI-generated"); a wording an organization typed itself stays."""
    BrandKit = apps.get_model("video_plugin", "BrandKit")
    BrandKit.objects.filter(disclosure_text=OLD_DEFAULT).update(disclosure_text="")


def one_wording(apps, schema_editor):
    BrandKit = apps.get_model("video_plugin", "BrandKit")
    BrandKit.objects.filter(disclosure_text="").update(disclosure_text=OLD_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("video_plugin", "0009_brand_kit_voices_by_language"),
    ]

    operations = [
        migrations.AlterField(
            model_name="brandkit",
            name="disclosure_text",
            field=models.CharField(blank=True, max_length=40, verbose_name="AI label wording"),
        ),
        migrations.RunPython(label_in_page_language, one_wording),
    ]
