"""shop.media_chooser still does wagtailmedia's chooser's job: lists, searches, uploads and chooses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtailmedia.models import get_media_model

from shop.models import Membership, Organization

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_media(collection, title: str, media_type: str = "video"):
    return get_media_model().objects.create(
        title=title,
        type=media_type,
        collection=collection,
        file=SimpleUploadedFile(f"{title}.bin", b"\x00" * 16),
        duration=1.0,
    )


def test_the_chooser_lists_the_users_media_of_the_asked_type(world):
    acme = world.orgs["acme"].collection
    teaser, jingle = add_media(acme, "acme-teaser"), add_media(acme, "acme-jingle", "audio")
    client = client_for(world.users[("owner", "acme")])
    everything = client.get("/admin/media/chooser/").json()
    assert everything["step"] == "chooser"
    assert f"/admin/media/chooser/{teaser.pk}/" in everything["html"]
    assert f"/admin/media/chooser/{jingle.pk}/" in everything["html"]
    videos = client.get("/admin/media/chooser/video/").json()["html"]
    assert f"/admin/media/chooser/{teaser.pk}/" in videos
    assert f"/admin/media/chooser/{jingle.pk}/" not in videos


def test_a_search_in_the_chooser_is_answered_by_wagtailmedias_results_page(world):
    teaser = add_media(world.orgs["acme"].collection, "acme-teaser")
    add_media(world.orgs["acme"].collection, "acme-other")
    client = client_for(world.users[("owner", "acme")])
    body = client.get("/admin/media/chooser/", {"q": "teaser"}).content.decode()
    assert f"/admin/media/chooser/{teaser.pk}/" in body
    assert "acme-other" not in body


def test_an_upload_from_the_chooser_is_saved_in_the_users_collection_and_chosen(world):
    owner, collection = world.users[("owner", "acme")], world.orgs["acme"].collection
    response = client_for(owner).post(
        "/admin/media/video/chooser/upload/",
        {
            "media-chooser-upload-title": "Spring teaser",
            "media-chooser-upload-collection": collection.pk,
            "media-chooser-upload-file": SimpleUploadedFile("teaser.mp4", b"\x00" * 32),
            "media-chooser-upload-duration": "2",
        },
    )
    answer = response.json()
    assert answer["step"] == "media_chosen", answer.get("html", "")[:2000]
    media = get_media_model().objects.get(pk=answer["result"]["id"])
    assert (media.title, media.type, media.collection, media.uploaded_by_user) == (
        "Spring teaser",
        "video",
        collection,
        owner,
    )


def upload_into(client: Client, collection, title: str) -> dict:
    response = client.post(
        "/admin/media/video/chooser/upload/",
        {
            "media-chooser-upload-title": title,
            "media-chooser-upload-collection": collection.pk,
            "media-chooser-upload-file": SimpleUploadedFile(f"{title}.mp4", b"\x00" * 32),
        },
    )
    return response.json()


def test_an_upload_aimed_at_another_organizations_collection_lands_in_the_users_only_one(world):
    """With one collection the form has no collection field (Wagtail's rule): the posted one is ignored."""
    upload_into(client_for(world.users[("owner", "acme")]), world.orgs["bluebird"].collection, "Planted")
    assert get_media_model().objects.get(title="Planted").collection == world.orgs["acme"].collection


def test_an_upload_into_another_organizations_collection_is_refused_to_a_user_of_several(world):
    cobalt = Organization.objects.create(name="Cobalt", slug="cobalt")
    owner = world.users[("owner", "acme")]
    Membership.objects.create(user=owner, organization=cobalt, role="admin")
    answer = upload_into(client_for(owner), world.orgs["bluebird"].collection, "Planted")
    assert answer["step"] == "chooser"
    assert "Select a valid choice" in answer["html"]
    assert not get_media_model().objects.filter(title="Planted").exists()


def test_a_user_who_may_not_add_media_cannot_upload_from_the_chooser(world):
    outsider = world.outsider
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    response = client_for(outsider).post(
        "/admin/media/video/chooser/upload/",
        {
            "media-chooser-upload-title": "Nope",
            "media-chooser-upload-file": SimpleUploadedFile("n.mp4", b"1"),
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not get_media_model().objects.filter(title="Nope").exists()


def test_the_chooser_is_kept_from_anonymous_visitors(world):
    for url in ("/admin/media/chooser/", "/admin/media/video/chooser/upload/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
