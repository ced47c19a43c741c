"""The default tenancy (``video_plugin.site_tenancy.SiteTenancy``): a site without organizations installs the
plugin and configures no tenancy; Wagtail's groups, page permissions, collections and site settings decide.

The site of ``tests.conftest.SiteWorld``: kitchen and garden sections of product pages, their editors'
groups, and a "Video producers" group holding ``video_plugin.generate_video``.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from wagtail import hooks
from wagtail.models import Collection

from tests.factories import still_render_result
from video_plugin.conf import video_settings
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import ApiToken, VideoJob, VideoSiteSettings
from video_plugin.site_tenancy import SITE_ORGANIZATION_ID, SiteTenancy, video_collection
from video_plugin.tenancy import can_generate, can_generate_for_organization, can_view, get_tenancy

pytestmark = pytest.mark.django_db


def site_settings() -> VideoSiteSettings:
    return VideoSiteSettings.objects.get()


# --- one organization: the whole site ----------------------------------------------------------------------


def test_a_site_that_names_no_tenancy_gets_the_site_tenancy(site_world, settings):
    assert "TENANCY" not in settings.WAGTAIL_VIDEO
    assert type(get_tenancy()) is SiteTenancy


def test_every_page_belongs_to_the_one_organization_of_the_site(site_world, settings):
    tenancy = get_tenancy()
    kitchen = tenancy.organization_for_page(site_world.product["kitchen"])
    garden = tenancy.organization_for_page(site_world.section["garden"])
    assert kitchen.id == garden.id == SITE_ORGANIZATION_ID
    assert kitchen.name == settings.WAGTAIL_SITE_NAME
    assert [o.id for o in tenancy.organizations()] == [SITE_ORGANIZATION_ID]
    assert tenancy.organization(SITE_ORGANIZATION_ID).slug == "site"
    assert tenancy.organization(SITE_ORGANIZATION_ID + 1) is None


def test_videos_are_filed_in_a_presenter_videos_collection_made_under_the_root_on_first_use(site_world):
    assert not Collection.objects.filter(name="Presenter videos").exists()
    collection = get_tenancy().organization_for_page(site_world.product["kitchen"]).collection
    assert collection.name == "Presenter videos"
    assert collection.get_parent() == Collection.get_first_root_node()
    assert video_collection() == collection
    assert Collection.objects.filter(name="Presenter videos").count() == 1


def test_the_collection_is_named_by_the_collection_setting(site_world, settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "COLLECTION": "Spokesperson clips"}
    assert get_tenancy().organization(SITE_ORGANIZATION_ID).collection.name == "Spokesperson clips"


def test_a_job_of_the_site_is_stored_under_organization_1_and_attached_in_the_collection(site_world):
    job = request_video(site_world.product["garden"], None, VideoJob.Trigger.EDITOR)
    assert job.organization_id == SITE_ORGANIZATION_ID
    assert job.output_key.startswith(f"{SITE_ORGANIZATION_ID}/videos/ai-generated/")
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    media = attach_video(job, still_render_result(job.output_key))
    assert media.collection == video_collection()


# --- defaults from the site setting ------------------------------------------------------------------------


def test_the_presenter_and_voice_of_a_job_come_from_the_site_setting(site_world):
    settings_row = site_settings()
    settings_row.default_voice = "edge:en-GB-SoniaNeural"
    settings_row.save()
    job = request_video(site_world.product["kitchen"], None, VideoJob.Trigger.EDITOR)
    assert job.voice == "edge:en-GB-SoniaNeural"
    assert job.image == site_world.presenter["kitchen"]


def test_an_empty_voice_setting_falls_back_to_the_plugins_default_voice(site_world):
    job = request_video(site_world.product["kitchen"], None, VideoJob.Trigger.EDITOR)
    assert job.voice == video_settings.DEFAULT_VOICE


def test_the_voice_setting_refuses_what_is_not_a_voice_id_by_the_contracts_rule(site_world):
    setting = site_settings()
    setting.default_voice = "<b>Jenny</b>"
    with pytest.raises(ValidationError) as refused:
        setting.full_clean()
    assert "write engine:voice" in str(refused.value.message_dict["default_voice"])
    setting.default_voice = "espeak:de"
    setting.full_clean()


def test_without_a_default_presenter_a_job_fails_saying_what_to_set(site_world):
    VideoSiteSettings.objects.update(default_presenter_image=None)
    job = request_video(site_world.product["kitchen"], None, VideoJob.Trigger.EDITOR)
    assert job.status == VideoJob.Status.FAILED and job.error_code == "no_image"


def test_publishing_generates_a_video_only_when_the_site_setting_asks(
    site_world, django_capture_on_commit_callbacks
):
    page = site_world.product["kitchen"]
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert not VideoJob.objects.exists()
    VideoSiteSettings.objects.update(auto_generate_on_publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert list(VideoJob.objects.values_list("page_id", "trigger")) == [(page.pk, VideoJob.Trigger.PUBLISH)]


def test_the_site_setting_is_edited_under_settings_in_the_admin(site_world, client):
    client.force_login(site_world.superuser)
    site = site_settings().site
    response = client.get(
        reverse("wagtailsettings:edit", args=["video_plugin", "videositesettings", site.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Default presenter image" in body and "Auto generate on publish" in body


# --- who may do what ---------------------------------------------------------------------------------------


def test_a_producer_who_may_edit_the_page_may_generate_and_view(site_world):
    producer, page = site_world.users["producer"], site_world.product["kitchen"]
    assert can_generate(producer, page) and can_view(producer, page)


def test_the_permission_works_granted_to_the_user_as_well_as_to_a_group(site_world):
    second = site_world.users["second_producer"]
    assert not second.groups.filter(name="Video producers").exists()
    assert can_generate(second, site_world.product["kitchen"])


def test_a_page_editor_without_the_permission_views_but_does_not_generate(site_world):
    editor, page = site_world.users["page_editor"], site_world.product["kitchen"]
    assert can_view(editor, page) and not can_generate(editor, page)


@pytest.mark.parametrize("who", ["garden_producer", "producer_without_pages"])
def test_the_permission_without_edit_rights_on_the_page_allows_nothing_there(site_world, who):
    user, page = site_world.users[who], site_world.product["kitchen"]
    assert not can_view(user, page) and not can_generate(user, page)


def test_a_producer_generates_only_where_they_may_edit(site_world):
    garden_producer = site_world.users["garden_producer"]
    assert can_generate(garden_producer, site_world.product["garden"])
    assert not can_generate(garden_producer, site_world.product["kitchen"])


def test_superusers_may_do_everything(site_world):
    for page in site_world.product.values():
        assert can_generate(site_world.superuser, page) and can_view(site_world.superuser, page)
    assert can_generate_for_organization(site_world.superuser, SITE_ORGANIZATION_ID)


def test_anonymous_and_deactivated_users_may_do_nothing(site_world):
    producer = site_world.users["producer"]
    producer.is_active = False
    producer.save()
    page = site_world.product["kitchen"]
    for user in (AnonymousUser(), producer):
        assert not can_view(user, page) and not can_generate(user, page)
        assert not can_generate_for_organization(user, SITE_ORGANIZATION_ID)


def test_tokens_and_webhooks_are_for_holders_of_the_permission_whatever_pages_they_edit(site_world):
    users = site_world.users
    assert can_generate_for_organization(users["producer_without_pages"], SITE_ORGANIZATION_ID)
    assert not can_generate_for_organization(users["page_editor"], SITE_ORGANIZATION_ID)
    assert not can_generate_for_organization(users["producer"], SITE_ORGANIZATION_ID + 1)


def test_the_permission_is_offered_on_wagtails_group_edit_screen(site_world, client):
    registered = {p.codename for fn in hooks.get_hooks("register_permissions") for p in fn()}
    assert "generate_video" in registered
    client.force_login(site_world.superuser)
    group = Group.objects.get(name="Video producers")
    body = client.get(reverse("wagtailusers_groups:edit", args=[group.pk])).content.decode()
    assert "Can generate presenter videos" in body


# --- the panel, the bulk action, the token screens and the job API ----------------------------------------


def test_the_panel_offers_generation_to_producers_and_names_the_permission_to_others(site_world, client):
    edit_url = reverse("wagtailadmin_pages:edit", args=[site_world.product["kitchen"].pk])
    client.force_login(site_world.users["producer"])
    assert "Generate video" in client.get(edit_url).content.decode()
    client.force_login(site_world.users["page_editor"])
    html = client.get(edit_url).content.decode()
    assert "Generate video" not in html
    assert "Can generate presenter videos" in html


def test_a_refusal_says_which_permission_is_missing(site_world, client):
    client.force_login(site_world.users["page_editor"])
    page = site_world.product["kitchen"]
    response = client.post(
        reverse("video_plugin:generate", args=[page.pk]), "{}", content_type="application/json"
    )
    assert response.status_code == 403
    assert "'Can generate presenter videos' permission" in response.json()["error"]


def test_the_bulk_action_generates_only_where_the_producer_may_edit(site_world, client, stub_broker):
    client.force_login(site_world.users["producer"])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "generate_videos"))
    kitchen, garden = site_world.product["kitchen"], site_world.product["garden"]
    client.post(url + f"?id={kitchen.pk}&id={garden.pk}&next=/admin/")
    assert list(VideoJob.objects.values_list("page_id", "trigger")) == [(kitchen.pk, VideoJob.Trigger.BATCH)]


def test_generate_videos_needs_no_org_for_the_one_organization(site_world, capsys):
    call_command("generate_videos", "--dry-run")
    output = capsys.readouterr().out
    for page in site_world.product.values():
        assert f"would request: page {page.pk}" in output
    assert not VideoJob.objects.exists()


def test_a_producer_issues_a_token_for_the_site_without_choosing_an_organization(site_world, client):
    client.force_login(site_world.users["producer_without_pages"])
    form = client.get("/admin/video-api/tokens/new/").content.decode()
    assert f'<option value="{SITE_ORGANIZATION_ID}" selected>' in form
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "feed sync", "organization_id": SITE_ORGANIZATION_ID}
    )
    # The page that shows the new token, once.
    assert response.status_code == 200 and "Copy the token now" in response.content.decode()
    assert ApiToken.objects.get().organization_id == SITE_ORGANIZATION_ID


def test_a_token_of_the_site_orders_videos_for_any_page_with_any_image(site_world, client):
    plain = ApiToken.issue(SITE_ORGANIZATION_ID, "sync")[1]
    body = {"page": site_world.product["garden"].pk, "image": site_world.presenter["kitchen"].pk}
    response = client.post(
        "/api/video/v1/jobs/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 201, response.content
    job = VideoJob.objects.get()
    assert (job.page_id, job.image, job.organization_id) == (
        site_world.product["garden"].pk,
        site_world.presenter["kitchen"],
        SITE_ORGANIZATION_ID,
    )
