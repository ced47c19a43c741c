"""Reports → Presenter consent: every video by presenter and consent, per organization, with CSV export.

The audit answers "which videos show whom, on what consent, and may they still?": a job's consent reference
is kept as it was when the video was asked for, and the report sets it beside the presenter's consent today
(:func:`~video_plugin.presenters.consent.usability`) and what became of that record (revoked, expired), so a
revocation shows which live videos still rest on it. Requests refused for consent are listed too, as the
attempts they were.

Owners and admins see their organizations' rows (:func:`manageable_organizations`), superusers every
organization's; anyone else is refused the report and its menu item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.reports import ReportView

from gpu_runner.protocol import ErrorCode
from video_plugin.api.admin_viewsets import manageable_organizations
from video_plugin.models import ConsentRecord, Presenter, VideoJob
from video_plugin.presenters.consent import Status, Usability, usability

# The refusals a consent audit lists beside the videos: a face without consent, a photo that is no presenter.
CONSENT_REFUSALS = (ErrorCode.NO_CONSENT, ErrorCode.NOT_A_PRESENTER)
# The "consent now" of a refused photo that was no presenter's: there is no presenter to ask about.
NOT_A_PRESENTER = "not_a_presenter"
NOT_A_PRESENTER_LABEL = gettext_lazy("Not a presenter")

REPORT_URL_NAME = "video_consent_report"
REPORT_RESULTS_URL_NAME = "video_consent_report_results"


@dataclass(frozen=True)
class AuditFacts:
    """What the report says about one job besides its own fields, in the words of the table and the CSV."""

    organization: str
    outcome: str
    presenter: str
    kind: str
    consent_now: str
    consent_now_reason: str
    record_now: str
    live: str
    credentials_signed: str


def record_now(job: VideoJob, today: date) -> str:
    """What became of the consent record a video was made on: in force, revoked or expired (with the day)."""
    record: ConsentRecord | None = job.consent
    if record is None:
        if job.consent_reference:
            return _("Licence (synthetic face)")
        if job.status == VideoJob.Status.FAILED:
            # Translators: the consent record a refused video request was made on: none.
            return _("None")
        # Translators: the consent record of a video made before consent records were kept.
        return _("Not recorded")
    if record.revoked_at is not None:
        # Translators: %(date)s is a day as YYYY-MM-DD.
        return _("Revoked on %(date)s") % {"date": f"{timezone.localdate(record.revoked_at):%Y-%m-%d}"}
    if record.valid_until is not None and record.valid_until < today:
        # Translators: %(date)s is a day as YYYY-MM-DD.
        return _("Expired on %(date)s") % {"date": f"{record.valid_until:%Y-%m-%d}"}
    # Translators: the state of a consent record.
    return _("In force")


def credentials_signed(job: VideoJob) -> str:
    """Whether the runner signed the video's content credentials; a refused or older job has none."""
    signed = (job.credentials or {}).get("signed")
    if signed is None:
        # Translators: whether a video's content credentials were signed: the runner did not say.
        return _("Not reported")
    return _("Yes") if signed else _("No")


def presenter_usability(organizations: dict[int, str]) -> dict[int, Usability]:
    """Each presenter of ``organizations`` → whether it may be used today (one look per presenter)."""
    presenters = Presenter.objects.filter(organization_id__in=organizations)
    return {presenter.pk: usability(presenter) for presenter in presenters}


def audit_facts(
    job: VideoJob, organizations: dict[int, str], consent_today: dict[int, Usability], today: date
) -> AuditFacts:
    presenter = job.presenter
    now = consent_today.get(presenter.pk) if presenter is not None else None
    if job.status == VideoJob.Status.SUCCEEDED:
        outcome = _("Video made")
    else:
        # Translators: %(code)s is an error code (e.g. no_consent), kept as is.
        outcome = _("Refused: %(code)s") % {"code": job.error_code}
    return AuditFacts(
        organization=organizations.get(job.organization_id, str(job.organization_id)),
        outcome=outcome,
        presenter=presenter.name if presenter is not None else "",
        kind=presenter.kind if presenter is not None else "",
        consent_now=now.label if now is not None else str(NOT_A_PRESENTER_LABEL),
        consent_now_reason=now.reason if now is not None else "",
        record_now=record_now(job, today),
        live=_("Yes") if job.is_current else _("No"),
        credentials_signed=credentials_signed(job),
    )


class ConsentReportFilterSet(WagtailFilterSet):
    """Organization, presenter and consent status today; the choices are the user's organizations only."""

    organization = django_filters.ChoiceFilter(
        label=gettext_lazy("Organization"),
        field_name="organization_id",
        empty_label=gettext_lazy("All organizations"),
    )
    presenter = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Presenter"),
        queryset=Presenter.objects.none(),
        empty_label=gettext_lazy("All presenters"),
    )
    consent_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Consent status now"),
        method="filter_consent_status",
        empty_label=gettext_lazy("Any status"),
    )

    class Meta:
        model = VideoJob
        fields: list[str] = []

    def __init__(
        self, *args: Any, request: HttpRequest, organizations: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, request=request, **kwargs)
        self.organizations = organizations
        self.filters["organization"].extra["choices"] = sorted(
            organizations.items(), key=lambda item: item[1]
        )
        self.filters["presenter"].queryset = Presenter.objects.filter(organization_id__in=organizations)
        self.filters["consent_status"].extra["choices"] = [
            *Status.LABELS.items(),
            (NOT_A_PRESENTER, NOT_A_PRESENTER_LABEL),
        ]

    def filter_consent_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Today's status is the consent rule's answer, not a column: ask it for each presenter in scope.
        if value == NOT_A_PRESENTER:
            return queryset.filter(presenter__isnull=True)
        matching = [pk for pk, now in presenter_usability(self.organizations).items() if now.status == value]
        return queryset.filter(presenter_id__in=matching)


class ConsentNowColumn(Column):
    """Today's consent status, with the reason and who can fix it when the presenter may no longer be used."""

    cell_template_name = "video_plugin/presenters/report_consent_cell.html"


class ConsentReportView(ReportView):
    """The audit of presenter videos and consent; ``?export=csv`` (or ``xlsx``) downloads every row."""

    page_title = gettext_lazy("Presenter consent")
    header_icon = "user"
    index_url_name = REPORT_URL_NAME
    index_results_url_name = REPORT_RESULTS_URL_NAME
    filterset_class = ConsentReportFilterSet
    export_filename = "presenter-consent"
    verbose_name = gettext_lazy("video")
    verbose_name_plural = gettext_lazy("videos")
    columns = [
        Column("organization", label=gettext_lazy("Organization"), accessor="audit.organization"),
        TitleColumn(
            "page",
            label=gettext_lazy("Page"),
            accessor="page.title",
            url_name="wagtailadmin_pages:edit",
            id_accessor="page_id",
        ),
        # Translators: a column heading: the video job's id.
        Column("job_id", label=gettext_lazy("Job")),
        Column("outcome", label=gettext_lazy("Outcome"), accessor="audit.outcome"),
        DateColumn("finished_at", label=gettext_lazy("Finished")),
        Column("presenter", label=gettext_lazy("Presenter"), accessor="audit.presenter"),
        Column("kind", label=gettext_lazy("Kind"), accessor="audit.kind"),
        Column("consent_reference", label=gettext_lazy("Consent reference")),
        ConsentNowColumn("consent_now", label=gettext_lazy("Consent status now"), accessor="audit"),
        Column("record_now", label=gettext_lazy("That record now"), accessor="audit.record_now"),
        # Translators: a column heading: whether a live page shows the video now.
        Column("live", label=gettext_lazy("Live"), accessor="audit.live"),
        Column(
            "credentials_signed",
            # Translators: a column heading: whether the video's content credentials (C2PA) were signed.
            label=gettext_lazy("Credentials signed"),
            accessor="audit.credentials_signed",
        ),
    ]
    list_export = [
        "audit.organization",
        "page.title",
        "page_id",
        "job_id",
        "audit.outcome",
        "finished_at",
        "audit.presenter",
        "audit.kind",
        "consent_reference",
        "audit.consent_now",
        "audit.consent_now_reason",
        "audit.record_now",
        "audit.live",
        "audit.credentials_signed",
    ]
    export_headings = {
        "audit.organization": gettext_lazy("Organization"),
        "page.title": gettext_lazy("Page"),
        "page_id": gettext_lazy("Page id"),
        "job_id": gettext_lazy("Job id"),
        "audit.outcome": gettext_lazy("Outcome"),
        "finished_at": gettext_lazy("Finished at"),
        "audit.presenter": gettext_lazy("Presenter"),
        "audit.kind": gettext_lazy("Kind"),
        "consent_reference": gettext_lazy("Consent reference"),
        "audit.consent_now": gettext_lazy("Consent status now"),
        "audit.consent_now_reason": gettext_lazy("Why not usable now"),
        "audit.record_now": gettext_lazy("Consent record now"),
        # Translators: a column heading: whether a live page shows the video now.
        "audit.live": gettext_lazy("Live"),
        "audit.credentials_signed": gettext_lazy("Content credentials signed"),
    }

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.organizations = manageable_organizations(request.user)
        if not self.organizations:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filterset_kwargs(self) -> dict[str, Any]:
        return {**super().get_filterset_kwargs(), "organizations": self.organizations}

    def get_queryset(self) -> QuerySet[VideoJob]:
        self.queryset = (
            VideoJob.objects.filter(organization_id__in=self.organizations)
            .filter(
                Q(status=VideoJob.Status.SUCCEEDED)
                | Q(status=VideoJob.Status.FAILED, error_code__in=CONSENT_REFUSALS)
            )
            .select_related("page", "presenter", "consent")
            .order_by("organization_id", "-finished_at", "-pk")
        )
        return super().get_queryset()

    def decorate_paginated_queryset(self, object_list: Any) -> Any:
        # The table and the export read the same evaluated rows, so the facts are set on them in place.
        consent_today = presenter_usability(self.organizations)
        today = timezone.localdate()
        for job in object_list:
            job.audit = audit_facts(job, self.organizations, consent_today, today)
        return object_list


class ConsentReportMenuItem(MenuItem):
    """Shown to whoever may open the report: owners and admins of an organization, and superusers."""

    def is_shown(self, request: HttpRequest) -> bool:
        return bool(manageable_organizations(request.user))


def consent_report_menu_item() -> ConsentReportMenuItem:
    return ConsentReportMenuItem(
        gettext_lazy("Presenter consent"),
        reverse(REPORT_URL_NAME),
        name="presenter-consent",
        icon_name="user",
        order=1300,
    )
