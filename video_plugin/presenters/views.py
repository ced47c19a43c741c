"""Settings → Presenters' own screens beside the model views: record consent, revoke it, and the live videos
that show a presenter, with their takedown.

Who may do what is :mod:`video_plugin.presenters.access`: a presenter of an organization the user may not see
is not found (404); recording and revoking consent, and taking videos down, take the consent record or
presenter permission and an organization the user manages (else PermissionDenied, which Wagtail's admin
answers with a redirect to the dashboard). Taking a video off a live page also takes the right to publish that
page, as *Make live* does (:func:`video_plugin.editor.views.make_current`). Every change is a POST with
Django's CSRF token; anonymous visitors are sent to the login by the admin's URLs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from video_plugin.models import ConsentRecord, Presenter, VideoJob
from video_plugin.presenters.access import consent_for, may_manage, presenter_for
from video_plugin.presenters.consent import usability
from video_plugin.presenters.forms import ConsentRecordForm, RevocationForm
from video_plugin.presenters.log_actions import CONSENT_RECORDED, CONSENT_REVOKED
from video_plugin.presenters.takedown import live_videos, take_down, withdraw_waiting
from video_plugin.tenancy import can_generate

# The URL namespace of Settings → Presenters (PresenterViewSet.name).
NAMESPACE = "video_presenters"


def presenter_url(view_name: str, *args: Any) -> str:
    """The URL of one of Settings → Presenters' views."""
    return reverse(f"{NAMESPACE}:{view_name}", args=args)


def may_take_down(user: Any, job: VideoJob) -> bool:
    """Whether ``user`` may take ``job``'s video off its live page: generate for the page and publish it."""
    return can_generate(user, job.page) and job.page.permissions_for_user(user).can_publish()


class PresenterScreen(WagtailAdminTemplateMixin):
    """The admin furniture of a screen about one presenter: breadcrumbs through Presenters and the
    presenter's page."""

    header_icon = "user"
    presenter: Presenter
    # The screen's title with the presenter's name, e.g. "Record consent of Anna Berg" (%(name)s).
    title_of_presenter: str

    def get_page_title(self) -> str:
        return self.title_of_presenter % {"name": self.presenter.name}

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return [
            *self.breadcrumbs_items,
            {"url": presenter_url("index"), "label": _("Presenters")},
            {"url": presenter_url("inspect", self.presenter.pk), "label": self.presenter.name},
            {"url": "", "label": self.get_page_title()},
        ]


class RecordConsentView(PresenterScreen, FormView):
    """Record a person presenter's consent, with its evidence."""

    template_name = "video_plugin/presenters/record_consent.html"
    form_class = ConsentRecordForm
    page_title = gettext_lazy("Record consent")
    # Translators: a screen's title; %(name)s is the presenter's name.
    title_of_presenter = gettext_lazy("Record consent of %(name)s")

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.presenter = presenter_for(request.user, kwargs["pk"], (ConsentRecord, "add"))

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "presenter": self.presenter, "for_user": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.path,
            submit_button_label=_("Record consent"),
            submit_button_active_label=_("Recording…"),
            media=context["form"].media,
            presenter=self.presenter,
        )
        return context

    def form_valid(self, form: ConsentRecordForm) -> HttpResponse:
        with transaction.atomic():
            record = form.save()
            log(
                instance=self.presenter,
                action=CONSENT_RECORDED,
                user=self.request.user,
                data={
                    "reference": record.reference,
                    "valid_from": record.valid_from.isoformat(),
                    "valid_until": record.valid_until.isoformat() if record.valid_until else None,
                },
            )
        messages.success(
            self.request,
            # Translators: %(reference)s is the consent record's reference, %(name)s the presenter's name
            # (already in quotes), %(status)s the presenter's consent status now (e.g. "consent valid").
            _("Consent %(reference)s of %(name)s recorded: %(status)s.")
            % {
                "reference": record.reference,
                "name": repr(self.presenter.name),
                "status": usability(self.presenter).label.lower(),
            },
        )
        return HttpResponseRedirect(presenter_url("inspect", self.presenter.pk))


class RevokeConsentView(PresenterScreen, FormView):
    """Withdraw a consent record: a confirmation with an optional note, then the POST that revokes it."""

    template_name = "video_plugin/presenters/revoke_consent.html"
    form_class = RevocationForm
    page_title = gettext_lazy("Revoke consent")
    # Translators: a screen's title; %(name)s is the presenter's name.
    title_of_presenter = gettext_lazy("Revoke consent of %(name)s")

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.record = consent_for(request.user, kwargs["pk"], "change")
        self.presenter = self.record.presenter

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(record=self.record, presenter=self.presenter, **kwargs)

    def form_valid(self, form: RevocationForm) -> HttpResponse:
        record, presenter = self.record, self.presenter
        if record.revoked_at is not None:
            messages.warning(
                self.request,
                # Translators: %(reference)s is the consent record's reference; %(date)s a day.
                _("Consent %(reference)s was already revoked on %(date)s; nothing changed.")
                % {"reference": record.reference, "date": date_format(record.revoked_at, "DATE_FORMAT")},
            )
            return HttpResponseRedirect(presenter_url("inspect", presenter.pk))
        note = form.cleaned_data["note"]
        with transaction.atomic():
            record.revoke(self.request.user, note)
            log(
                instance=presenter,
                action=CONSENT_REVOKED,
                user=self.request.user,
                data={"reference": record.reference, "note": note},
            )
            still = usability(presenter)
            withdrawn = 0 if still.usable else withdraw_waiting(presenter)
        if still.usable:
            messages.success(
                self.request,
                # Translators: %(reference)s is the revoked consent record's reference, %(name)s the
                # presenter's name (already in quotes), %(in_force)s the reference of the consent record
                # still in force, or the word "licence".
                _(
                    "Consent %(reference)s revoked. %(name)s still has consent in force (%(in_force)s), "
                    "so their videos stay."
                )
                % {
                    "reference": record.reference,
                    "name": repr(presenter.name),
                    # Translators: what a presenter's use rests on when no consent record is: its licence.
                    "in_force": still.consent.reference if still.consent else _("licence"),
                },
            )
            return HttpResponseRedirect(presenter_url("inspect", presenter.pk))
        values = {"reference": record.reference, "name": repr(presenter.name), "count": withdrawn}
        if withdrawn:
            # Translators: %(reference)s is the consent record's reference, %(name)s the presenter's name
            # (already in quotes), %(count)s how many videos waited for their page's publish.
            message = ngettext(
                "Consent %(reference)s revoked: no new video can show %(name)s. %(count)s video waiting "
                "for its page's publish will not go live. Remove the videos below from the pages that show "
                "them.",
                "Consent %(reference)s revoked: no new video can show %(name)s. %(count)s videos waiting "
                "for their page's publish will not go live. Remove the videos below from the pages that "
                "show them.",
                withdrawn,
            )
        else:
            # Translators: %(reference)s is the consent record's reference, %(name)s the presenter's name
            # (already in quotes).
            message = _(
                "Consent %(reference)s revoked: no new video can show %(name)s. "
                "Remove the videos below from the pages that show them."
            )
        messages.success(self.request, message % values)
        return HttpResponseRedirect(presenter_url("videos", presenter.pk))


class PresenterVideosView(PresenterScreen, TemplateView):
    """The presenter's videos that live pages show, each with *Remove from page*, and *Remove all*."""

    template_name = "video_plugin/presenters/videos.html"
    page_title = gettext_lazy("Live videos")
    # Translators: a screen's title; %(name)s is the presenter's name.
    title_of_presenter = gettext_lazy("Live videos of %(name)s")

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.presenter = presenter_for(request.user, kwargs["pk"])

    @cached_property
    def may_remove(self) -> bool:
        return may_manage(self.request.user, self.presenter.organization_id)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        rows = [
            {
                "job": job,
                "page": job.page.specific,
                "removable": self.may_remove and may_take_down(user, job),
                "remove_url": presenter_url("remove_video", self.presenter.pk, job.job_id),
            }
            for job in live_videos(self.presenter)
        ]
        return super().get_context_data(
            presenter=self.presenter,
            usability=usability(self.presenter),
            rows=rows,
            any_removable=any(row["removable"] for row in rows),
            remove_all_url=presenter_url("remove_all_videos", self.presenter.pk),
            **kwargs,
        )


def takedown_reason(presenter: Presenter) -> str:
    """Why the presenter's videos come down, for the page's history."""
    usable = usability(presenter)
    return usable.label if not usable.usable else _("Removed by the presenter's managers")


@require_POST
def remove_video(request: HttpRequest, pk: int, job_id: str) -> HttpResponse:
    """*Remove from page*: the page stops showing this video of the presenter."""
    presenter = presenter_for(request.user, pk, (Presenter, "change"))
    job = get_object_or_404(live_videos(presenter), job_id=job_id)
    page = job.page.specific
    if not may_take_down(request.user, job):
        messages.error(
            request,
            # Translators: %(page)s is the page's title, already in quotes.
            _("Only people who may publish %(page)s can remove its video.") % {"page": repr(page.title)},
        )
    elif take_down(job, request.user, takedown_reason(presenter)):
        messages.success(
            request,
            # Translators: %(page)s is the page's title and %(name)s the presenter's name, each already in
            # quotes.
            _("%(page)s no longer shows its video of %(name)s.")
            % {"page": repr(page.title), "name": repr(presenter.name)},
        )
    return HttpResponseRedirect(presenter_url("videos", presenter.pk))


@require_POST
def remove_all_videos(request: HttpRequest, pk: int) -> HttpResponse:
    """*Remove all*: every live page the user may publish stops showing its video of the presenter."""
    presenter = presenter_for(request.user, pk, (Presenter, "change"))
    reason = takedown_reason(presenter)
    removed, kept = [], []
    for job in live_videos(presenter):
        if may_take_down(request.user, job) and take_down(job, request.user, reason):
            removed.append(job.page.title)
        else:
            kept.append(job.page.title)
    if removed:
        messages.success(
            request,
            # Translators: %(name)s is the presenter's name, already in quotes.
            ngettext(
                "Removed %(count)s video of %(name)s from its page.",
                "Removed %(count)s videos of %(name)s from their pages.",
                len(removed),
            )
            % {"count": len(removed), "name": repr(presenter.name)},
        )
    if kept:
        messages.error(
            request,
            # Translators: %(pages)s lists the pages' titles, each in quotes, separated by commas.
            _("Not removed from %(pages)s: only people who may publish those pages can.")
            % {"pages": ", ".join(repr(title) for title in kept)},
        )
    return HttpResponseRedirect(presenter_url("videos", presenter.pk))
