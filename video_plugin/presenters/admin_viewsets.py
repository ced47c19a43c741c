"""Settings → Presenters: each organization's presenters with their consent status, the presenter's page with
its consent records, and the screens of :mod:`video_plugin.presenters.views`.

Wagtail's model permissions open the screens (the shop gives owners and admins add and change on presenters
and consent records, editors view); :mod:`video_plugin.presenters.access` keeps each user to the
organizations the tenancy lets them see, and lets them change only those they manage. Presenters and consent
records are never deleted here: jobs and their content credentials name them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from video_plugin.brand.admin_viewsets import organization_name
from video_plugin.models import ConsentRecord, Presenter
from video_plugin.presenters import views
from video_plugin.presenters.access import check_presenter, may_manage, visible_organizations
from video_plugin.presenters.consent import usability
from video_plugin.presenters.forms import PresenterForm
from video_plugin.presenters.takedown import live_videos

KIND_LABELS = {
    Presenter.Kind.PERSON: gettext_lazy("Real person"),
    Presenter.Kind.SYNTHETIC: gettext_lazy("Synthetic or licensed"),
}


class KeptForTheAudit(ModelPermissionPolicy):
    """Presenters and consent records are never deleted: jobs and their content credentials name them."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


def group_permissions() -> QuerySet[Permission]:
    """The presenter and consent record permissions Settings → Groups offers: add, change (for consent
    records: revoke) and view; never delete."""
    content_types = ContentType.objects.get_for_models(Presenter, ConsentRecord).values()
    return Permission.objects.filter(content_type__in=content_types).exclude(codename__startswith="delete_")


def record_state(record: ConsentRecord, today: date) -> str:
    """Where one consent record stands on ``today``."""
    if record.revoked_at is not None:
        # Translators: the state of a consent record.
        return _("Revoked")
    if record.valid_from > today:
        # Translators: the state of a consent record.
        return _("Not yet valid")
    if record.valid_until is not None and record.valid_until < today:
        # Translators: the state of a consent record.
        return _("Ended")
    # Translators: the state of a consent record.
    return _("In force")


class PhotoColumn(Column):
    """The presenter's photo as a small square thumbnail."""

    cell_template_name = "video_plugin/presenters/photo_cell.html"


class ConsentStatusColumn(Column):
    """The presenter's consent status (:func:`~video_plugin.presenters.consent.usability`), linking to its
    consent records."""

    cell_template_name = "video_plugin/presenters/status_cell.html"

    def get_value(self, instance: Presenter) -> Any:
        return usability(instance)

    def get_cell_context_data(self, instance: Presenter, parent_context: dict[str, Any]) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        context["inspect_url"] = views.presenter_url("inspect", instance.pk)
        return context


class ScopedPresenter:
    """Opens a presenter of an organization the user may not see as not found, and one the user sees but
    does not manage as refused where the view changes it (``manage``)."""

    manage: str | None = None

    def get_object(self, *args: Any, **kwargs: Any) -> Presenter:
        presenter = super().get_object(*args, **kwargs)
        return check_presenter(
            self.request.user, presenter, (Presenter, self.manage) if self.manage else None
        )


class PresenterIndexView(generic.IndexView):
    """The presenters of the organizations the user may see."""

    def get_base_queryset(self) -> QuerySet:
        visible = visible_organizations(self.request.user)
        return super().get_base_queryset().filter(organization_id__in=visible).select_related("photo")

    def get_edit_url(self, instance: Presenter) -> str | None:
        # Only for presenters the user may change; the others' names link to their read-only page.
        if not may_manage(self.request.user, instance.organization_id):
            return None
        return super().get_edit_url(instance)


class PresenterCreateView(generic.CreateView):
    def get_success_url(self) -> str:
        return views.presenter_url("inspect", self.object.pk)

    def get_success_message(self, instance: Presenter) -> str:
        if instance.kind == Presenter.Kind.PERSON:
            # Translators: %(name)s is the presenter's name, already in quotes.
            return _("Presenter %(name)s added. Record their consent: no video shows them until then.") % {
                "name": repr(instance.name)
            }
        # Translators: %(name)s is the presenter's name, already in quotes.
        return _("Presenter %(name)s added.") % {"name": repr(instance.name)}


class PresenterEditView(ScopedPresenter, generic.EditView):
    manage = "change"

    def get_success_url(self) -> str:
        return views.presenter_url("inspect", self.object.pk)


class PresenterInspectView(ScopedPresenter, generic.InspectView):
    """The presenter's page: its facts, its consent status and records, and where it is live."""

    def setup(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if self.object.kind != Presenter.Kind.SYNTHETIC:
            # A licence is a synthetic face's; a person's rests on the consent records listed below.
            self.fields = [name for name in self.fields if name not in ("licence", "licence_reference")]

    def get_edit_url(self) -> str | None:
        if not may_manage(self.request.user, self.object.organization_id):
            return None
        return super().get_edit_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, presenter, today = self.request.user, self.object, timezone.localdate()
        organization_id = presenter.organization_id
        return super().get_context_data(
            presenter=presenter,
            organization=organization_name(presenter),
            kind_label=KIND_LABELS.get(presenter.kind, presenter.kind),
            usability=usability(presenter),
            consent_rows=[
                (record, record_state(record, today))
                for record in presenter.consents.select_related("evidence", "recorded_by", "revoked_by")
            ],
            may_record=may_manage(user, organization_id, ConsentRecord, "add")
            and presenter.kind == Presenter.Kind.PERSON,
            may_revoke=may_manage(user, organization_id, ConsentRecord, "change"),
            record_url=views.presenter_url("record_consent", presenter.pk),
            videos_url=views.presenter_url("videos", presenter.pk),
            live_count=live_videos(presenter).count(),
            **kwargs,
        )


class PresenterDeleteView(ScopedPresenter, generic.DeleteView):
    """Refuses everyone (:class:`KeptForTheAudit`); another organization's presenter is not found, as
    elsewhere."""


class PresenterHistoryView(ScopedPresenter, history.HistoryView):
    pass


class PresenterUsageView(ScopedPresenter, usage.UsageView):
    pass


class PresenterViewSet(ModelViewSet):
    model = Presenter
    name = views.NAMESPACE
    url_prefix = "presenters"
    icon = "user"
    menu_label = gettext_lazy("Presenters")
    add_to_settings_menu = True
    # Set here, where Wagtail 7.4 reads it; Wagtail 8's registry has it too (wagtail_hooks).
    permission_policy = KeptForTheAudit(Presenter)
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = PresenterIndexView
    add_view_class = PresenterCreateView
    edit_view_class = PresenterEditView
    inspect_view_class = PresenterInspectView
    inspect_template_name = "video_plugin/presenters/inspect.html"
    delete_view_class = PresenterDeleteView
    history_view_class = PresenterHistoryView
    usage_view_class = PresenterUsageView
    list_display = [
        "name",
        PhotoColumn("photo", label=gettext_lazy("Photo")),
        Column(
            "kind",
            label=gettext_lazy("Kind"),
            accessor=lambda presenter: KIND_LABELS.get(presenter.kind, ""),
        ),
        ConsentStatusColumn("consent", label=gettext_lazy("Consent")),
        Column("organization", label=gettext_lazy("Organization"), accessor=organization_name),
    ]
    list_filter = ["kind"]
    inspect_view_fields = ["licence", "licence_reference", "created_at", "updated_at"]

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return PresenterForm

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        return group_permissions()

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/consent/new/", views.RecordConsentView.as_view(), name="record_consent"),
            path("consent/<int:pk>/revoke/", views.RevokeConsentView.as_view(), name="revoke_consent"),
            path("<int:pk>/videos/", views.PresenterVideosView.as_view(), name="videos"),
            path("<int:pk>/videos/remove-all/", views.remove_all_videos, name="remove_all_videos"),
            path("<int:pk>/videos/<str:job_id>/remove/", views.remove_video, name="remove_video"),
        ]
