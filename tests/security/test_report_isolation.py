"""Reports → Presenter consent: who may open it, whose rows it shows, its filters and its CSV export.

- Owners and admins see their own organization's videos and consent refusals, never another's (not in the
  table, the CSV, or through a filter naming another organization's presenter); superusers see every
  organization's. Editors are refused the report and its menu item; anonymous visitors are sent to the login.
- Each row sets the consent the video was made on beside the presenter's consent today: a revocation shows
  on the videos that rest on the revoked record.
- ``?export=csv`` downloads every row with a header, filtered as the table is.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import make_image
from tests.factories import make_presenter
from tests.security.conftest import client_as, finished_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import Presenter, VideoJob
from video_plugin.presenters.report import REPORT_RESULTS_URL_NAME, REPORT_URL_NAME, consent_report_menu_item

pytestmark = pytest.mark.django_db

CSV_HEADER = [
    "Organization",
    "Page",
    "Page id",
    "Job id",
    "Outcome",
    "Finished at",
    "Presenter",
    "Kind",
    "Consent reference",
    "Consent status now",
    "Why not usable now",
    "Consent record now",
    "Live",
    "Content credentials signed",
]


@pytest.fixture
def videos(world):
    """A finished video of each organization's product page, made with its default presenter."""
    return {slug: finished_video(world.product[slug]) for slug in ("acme", "bluebird")}


def report_url(**query: str) -> str:
    url = reverse(REPORT_URL_NAME)
    if query:
        url += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return url


def csv_rows(client, **query: str) -> list[dict[str, str]]:
    response = client.get(report_url(export="csv", **query))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == CSV_HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_only_their_organizations_videos(world, videos, role):
    response = client_as(world, role).get(report_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert videos["acme"].job_id in html
    assert videos["bluebird"].job_id not in html
    assert "Bluebird Lamp" not in html
    # The fragment the filters reload is scoped the same way.
    fragment = client_as(world, role).get(reverse(REPORT_RESULTS_URL_NAME)).content.decode()
    assert videos["acme"].job_id in fragment and videos["bluebird"].job_id not in fragment


def test_another_organizations_owner_sees_none_of_acmes_rows(world, videos):
    client = client_as(world, "other_org_owner")
    html = client.get(report_url()).content.decode()
    assert videos["bluebird"].job_id in html and videos["acme"].job_id not in html
    rows = csv_rows(client)
    assert [row["Job id"] for row in rows] == [videos["bluebird"].job_id]


def test_a_filter_naming_another_organizations_presenter_shows_none_of_its_videos(world, videos):
    acme_presenter = videos["acme"].presenter
    rows = csv_rows(client_as(world, "other_org_owner"), presenter=str(acme_presenter.pk))
    assert videos["acme"].job_id not in {row["Job id"] for row in rows}


def test_superusers_see_every_organization(world, videos, client):
    client.force_login(world.superuser)
    rows = csv_rows(client)
    assert {row["Job id"] for row in rows} == {videos["acme"].job_id, videos["bluebird"].job_id}
    assert {row["Organization"] for row in rows} == {"Acme", "Bluebird"}


@pytest.mark.parametrize("actor", ["editor", "anonymous"])
def test_editors_and_anonymous_visitors_are_refused(world, videos, actor):
    client = client_as(world, actor)
    for url in (report_url(), report_url(export="csv")):
        response = client.get(url)
        assert response.status_code == 302
        location = response["Location"]
        if actor == "anonymous":
            assert location.startswith("/admin/login/")
        else:
            assert location.startswith("/admin/") and not location.startswith("/admin/login/")
        assert videos["acme"].job_id not in response.content.decode()


def test_the_menu_item_is_shown_to_owners_only(world):
    item = consent_report_menu_item()
    request = RequestFactory().get("/admin/")
    request.user = world.users[("owner", "acme")]
    assert item.is_shown(request)
    request.user = world.users[("editor", "acme")]
    assert not item.is_shown(request)


def test_the_csv_names_the_presenter_the_consent_and_the_live_video(world, videos):
    video = videos["acme"]
    [row] = csv_rows(client_as(world, "owner"))
    assert row["Job id"] == video.job_id
    assert row["Page"] == "Acme Lamp" and row["Page id"] == str(video.page_id)
    assert row["Outcome"] == "Video made"
    assert row["Presenter"] == video.presenter.name == "acme presenter"
    assert row["Kind"] == "person"
    assert row["Consent reference"] == video.consent_reference == video.consent.reference != ""
    assert row["Consent status now"] == "Consent valid" and row["Why not usable now"] == ""
    assert row["Consent record now"] == "In force"
    assert row["Live"] == ("Yes" if video.is_current else "No") == "Yes"
    assert row["Content credentials signed"] == "Not reported"


def test_a_revocation_shows_on_the_videos_made_on_the_revoked_consent(world, videos):
    video = videos["acme"]
    video.consent.revoke(world.users[("owner", "acme")], "left the company")
    client = client_as(world, "owner")
    [row] = csv_rows(client)
    assert row["Consent reference"] == video.consent_reference  # what it was made on, kept
    assert row["Consent status now"] == "Consent revoked"
    assert "withdrew consent" in row["Why not usable now"]
    assert row["Consent record now"].startswith("Revoked on ")
    html = client.get(report_url()).content.decode()
    assert "Consent revoked" in html and "withdrew consent" in html


def test_consent_refusals_are_listed_beside_the_videos(world, videos):
    org = world.orgs["acme"]
    unconsented = make_presenter(make_image("acme temp", org.collection), org.pk, consented=False)
    refused = request_video(world.product["acme"], None, VideoJob.Trigger.API, presenter=unconsented)
    assert refused.status == VideoJob.Status.FAILED and refused.error_code == "no_consent"
    rows = {row["Job id"]: row for row in csv_rows(client_as(world, "owner"))}
    assert set(rows) == {videos["acme"].job_id, refused.job_id}
    assert rows[refused.job_id]["Outcome"] == "Refused: no_consent"
    assert rows[refused.job_id]["Consent reference"] == ""
    assert rows[refused.job_id]["Consent status now"] == "No consent recorded"
    assert rows[refused.job_id]["Consent record now"] == "None"


def test_filters_by_consent_status_presenter_and_organization(world, videos, client):
    org = world.orgs["acme"]
    unconsented = make_presenter(make_image("acme temp", org.collection), org.pk, consented=False)
    refused = request_video(world.product["acme"], None, VideoJob.Trigger.API, presenter=unconsented)
    owner = client_as(world, "owner")

    def job_ids(user_client, **query: str) -> set[str]:
        return {row["Job id"] for row in csv_rows(user_client, **query)}

    assert job_ids(owner, consent_status="valid") == {videos["acme"].job_id}
    assert job_ids(owner, consent_status="no_consent") == {refused.job_id}
    assert job_ids(owner, consent_status="revoked") == set()
    assert job_ids(owner, presenter=str(unconsented.pk)) == {refused.job_id}
    assert job_ids(owner, presenter=str(videos["acme"].presenter_id)) == {videos["acme"].job_id}
    client.force_login(world.superuser)
    bluebird = str(world.orgs["bluebird"].pk)
    assert job_ids(client, organization=bluebird) == {videos["bluebird"].job_id}
    # The table filters as the export does.
    html = owner.get(report_url(consent_status="no_consent")).content.decode()
    assert refused.job_id in html and videos["acme"].job_id not in html


def test_the_presenter_filter_offers_only_the_users_organizations_presenters(world, videos):
    html = client_as(world, "owner").get(report_url()).content.decode()
    acme = Presenter.objects.get(organization_id=world.orgs["acme"].pk)
    bluebird = Presenter.objects.get(organization_id=world.orgs["bluebird"].pk)
    assert f'value="{acme.pk}"' in html
    assert f'value="{bluebird.pk}"' not in html and bluebird.name not in html


def test_under_the_default_tenancy_video_producers_see_the_sites_videos(site_world, client):
    video = finished_video(site_world.product["kitchen"])
    client.force_login(site_world.users["producer"])
    assert [row["Job id"] for row in csv_rows(client)] == [video.job_id]
    client.force_login(site_world.users["page_editor"])  # sees the page's videos, generates none
    response = client.get(report_url())
    assert response.status_code == 302 and video.job_id not in response.content.decode()


def test_the_spreadsheet_export_holds_the_same_rows(world, videos):
    response = client_as(world, "owner").get(report_url(export="xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == CSV_HEADER
    assert [row[CSV_HEADER.index("Job id")] for row in rows] == [videos["acme"].job_id]


def test_an_organization_without_videos_gets_an_empty_report(world):
    response = client_as(world, "owner").get(report_url())
    assert response.status_code == 200
    assert "There are no videos to display." in response.content.decode()
