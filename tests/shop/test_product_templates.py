"""The product page template: a <video> with its poster when there is a current video, nothing otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from gpu_runner.protocol import poster_key
from tests.factories import still_render_result
from tests.video_plugin.test_translations import translations  # noqa: F401 (a fixture)
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


@pytest.mark.django_db
def test_product_page_shows_the_current_video(world, client):
    page = world.product["acme"]
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "Acme Lamp" in html and "<video" not in html

    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    attach_video(job, still_render_result(job.output_key, width=256, height=256))
    html = client.get(page.url).content.decode()
    assert f'poster="/media/{poster_key(job.output_key)}"' in html
    assert f'src="/media/{job.output_key}"' in html and "controls" in html


@pytest.mark.django_db
def test_each_translation_shows_its_price_as_its_language_writes_it(translations, settings, client):  # noqa: F811
    settings.SHOP_CURRENCY = "EUR"
    for page in translations.values():
        page.price = Decimal("19.90")
        page.save_revision().publish()

    prices = {
        language: BeautifulSoup(client.get(page.url).content, "html.parser").select_one(".price").get_text()
        for language, page in translations.items()
    }
    index = BeautifulSoup(client.get(translations["de"].get_parent().url).content, "html.parser")

    assert prices == {"en": "€19.90", "de": "19,90\u00a0€", "ja": "€19.90"}
    assert [price.get_text() for price in index.select(".products .price")] == [prices["de"]]
