"""Who may see and manage which presenters, for the admin screens (Settings → Presenters).

Two questions, each answered by a Wagtail model permission *and* the tenancy:

- **See** an organization's presenters and consent records: ``view_presenter`` (or any presenter permission)
  and :func:`video_plugin.tenancy.can_view_organization` (the shop: any member; editors choose among them).
- **Manage** them (add and change presenters, record and revoke consent, take their videos down):
  the model permission for the action and the organizations whose videos the user generates as a whole
  (:func:`video_plugin.api.admin_viewsets.manageable_organizations`: the shop's owners and admins; under the
  default tenancy, holders of ``video_plugin.generate_video``).

The model permissions are global in Django, so a member of two organizations who is an owner of one holds
them for both; the tenancy's part is what keeps them to the right organization. A presenter of an
organization the user may not see is not found (404); one they see but may not manage is refused
(:class:`~django.core.exceptions.PermissionDenied`, which Wagtail's admin answers with a redirect to the
dashboard and a message).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from video_plugin.api.admin_viewsets import manageable_organizations
from video_plugin.models import ConsentRecord, Presenter
from video_plugin.tenancy import can_view_organization, get_tenancy


def has_model_permission(user: Any, model: type, action: str) -> bool:
    """Whether ``user`` holds Django's ``action`` permission on ``model`` (superusers hold them all)."""
    return user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")


def visible_organizations(user: Any) -> set[int]:
    """The ids of the organizations whose presenters ``user`` may see."""
    return {
        organization.id
        for organization in get_tenancy().organizations()
        if can_view_organization(user, organization.id)
    }


def may_manage(user: Any, organization_id: int, model: type = Presenter, action: str = "change") -> bool:
    """Whether ``user`` may ``action`` the organization's ``model`` rows (presenters or consent records)."""
    return has_model_permission(user, model, action) and organization_id in manageable_organizations(user)


def check_presenter(
    user: Any, presenter: Presenter | None, manage: tuple[type, str] | None = None
) -> Presenter:
    """``presenter`` if ``user`` may see it (else 404, also for ``None``), and, with ``manage=(model,
    action)``, may do that action on its organization's rows of ``model`` (else PermissionDenied)."""
    if presenter is None or presenter.organization_id not in visible_organizations(user):
        raise Http404("no such presenter among the organizations you may see")
    if manage is not None and not may_manage(user, presenter.organization_id, *manage):
        raise PermissionDenied
    return presenter


def presenter_for(user: Any, pk: int, manage: tuple[type, str] | None = None) -> Presenter:
    """The presenter ``pk``, checked by :func:`check_presenter`."""
    return check_presenter(user, Presenter.objects.select_related("photo").filter(pk=pk).first(), manage)


def consent_for(user: Any, pk: int, manage: str | None = None) -> ConsentRecord:
    """The consent record ``pk`` if ``user`` may see its presenter (else 404), and, with ``manage``, may do
    that action on consent records of its organization (else PermissionDenied)."""
    record = ConsentRecord.objects.select_related("presenter", "evidence").filter(pk=pk).first()
    check_presenter(
        user, record.presenter if record else None, (ConsentRecord, manage) if manage is not None else None
    )
    return record
