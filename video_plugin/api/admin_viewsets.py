"""Wagtail admin screens for the headless API: API tokens, webhook endpoints, and the webhook delivery log.

Who may open them is Wagtail's model permissions (superusers, and any group the host grants
``video_plugin.add_apitoken`` etc.). What they see is scoped by the tenancy: the organizations the user may
generate videos for as a whole (the shop's owners and admins; under the default tenancy, holders of
``video_plugin.generate_video``), every organization for superusers.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from video_plugin.models import (
    SECRET_ROTATION_OVERLAP,
    ApiToken,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from video_plugin.tenancy import can_generate_for_organization, get_tenancy
from video_plugin.webhooks.redaction import has_credentials, redacted_url


def manageable_organizations(user: Any) -> dict[int, str]:
    """Organization id → name, for the organizations whose tokens and webhooks ``user`` may manage."""
    return {
        organization.id: organization.name
        for organization in get_tenancy().organizations()
        if can_generate_for_organization(user, organization.id)
    }


class OrganizationScopedViews:
    """Index and object views limited to the user's manageable organizations."""

    def get_base_queryset(self) -> QuerySet:
        queryset = super().get_base_queryset()
        return queryset.filter(organization_id__in=manageable_organizations(self.request.user))

    def get_object(self, queryset: QuerySet | None = None) -> Any:
        obj = super().get_object(queryset)
        if obj.organization_id not in manageable_organizations(self.request.user):
            raise PermissionDenied
        return obj


class OrganizationForm(WagtailAdminModelForm):
    """A form whose ``organization_id`` is a choice among the user's organizations, fixed once saved."""

    organization_id = forms.TypedChoiceField(label=gettext_lazy("Organization"), coerce=int)

    def __init__(self, *args: Any, for_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        if self.instance.pk:
            del self.fields["organization_id"]
        else:
            choices = sorted(manageable_organizations(for_user).items(), key=lambda item: item[1])
            self.fields["organization_id"].choices = choices
            if len(choices) == 1:
                # The default tenancy's one organization: nothing to choose.
                self.fields["organization_id"].initial = choices[0][0]


class ApiTokenForm(OrganizationForm):
    class Meta:
        model = ApiToken
        fields = ["name", "organization_id"]


class ApiTokenCreateView(OrganizationScopedViews, generic.CreateView):
    """Issues the token and shows it once, in the response to the form itself; only its hash is kept.

    Not in a message and not in the session: Django's default message storage is a cookie (signed, not
    encrypted), which would carry the token in the browser's cookie jar and on every request until shown,
    and sessions may be cookies too on a host that chooses so.
    """

    issued_template_name = "video_plugin/admin/api_token_issued.html"

    def save_instance(self) -> ApiToken:
        data = self.form.cleaned_data
        token, self.plain_token = ApiToken.issue(data["organization_id"], data["name"], self.request.user)
        return token

    def save_action(self) -> HttpResponse:
        context = self.get_context_data(
            token=self.object, plain_token=self.plain_token, index_url=self.get_success_url()
        )
        # Translators: %(name)s is the name the token was given, e.g. "shop sync job".
        context["header_title"] = _("New API token: %(name)s") % {"name": self.object.name}
        response = TemplateResponse(self.request, self.issued_template_name, context)
        # Neither the browser's cache nor a proxy may keep the one page that holds the token.
        add_never_cache_headers(response)
        return response


class ApiTokenViewSet(ModelViewSet):
    model = ApiToken
    name = "video_api_tokens"
    url_prefix = "video-api/tokens"
    icon = "key"
    menu_label = gettext_lazy("API tokens")
    copy_view_enabled = False
    index_view_class = type("ApiTokenIndexView", (OrganizationScopedViews, generic.IndexView), {})
    add_view_class = ApiTokenCreateView
    edit_view_class = type("ApiTokenEditView", (OrganizationScopedViews, generic.EditView), {})
    delete_view_class = type("ApiTokenDeleteView", (OrganizationScopedViews, generic.DeleteView), {})
    list_display = ["name", "prefix", "organization_id", "created_at", "last_used_at"]
    form_fields = ["name", "organization_id"]

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return ApiTokenForm


class WebhookEndpointForm(OrganizationForm):
    # Declared for assume_scheme: a receiver typed without a scheme is taken as https, never plain http.
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("Receives a signed JSON POST for each event."),
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("What to send to this URL."),
    )
    rotate_secret = forms.BooleanField(
        required=False,
        label=gettext_lazy("Rotate signing secret"),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "is_active", "organization_id"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["rotate_secret"]
        else:
            # Receivers need the secret to verify signatures (docs/api.md), so it is shown to the managers.
            # Translators: %(secret)s is the endpoint's signing secret, "whsec_…".
            self.fields["url"].help_text = _("Signing secret: %(secret)s") % {"secret": self.instance.secret}
            self.fields["rotate_secret"].help_text = " ".join(
                [rotation_help(), *signing_status(self.instance)]
            )
            if has_credentials(self.instance.url):
                # Saved before such URLs were refused: the password is not shown, and saving drops it.
                self.initial["url"] = redacted_url(self.instance.url)
                self.fields["url"].help_text = _(
                    "Signing secret: %(secret)s. The user name and password this URL was saved with are not "
                    "shown and are removed when you save; webhooks are not sent to it until then. Check the "
                    "signature instead."
                ) % {"secret": self.instance.secret}

    def save(self, commit: bool = True) -> WebhookEndpoint:
        if self.cleaned_data.get("rotate_secret"):
            self.instance.rotate_secret()
        return super().save(commit)


def rotation_help() -> str:
    """The rotation field's help: how long the replaced secret keeps signing."""
    hours = round(SECRET_ROTATION_OVERLAP.total_seconds() / 3600)
    return ngettext(
        "Issue a new signing secret. The current one keeps signing beside it for %(hours)s hour, so the "
        "receiver accepts deliveries while you give it the new one.",
        "Issue a new signing secret. The current one keeps signing beside it for %(hours)s hours, so the "
        "receiver accepts deliveries while you give it the new one.",
        hours,
    ) % {"hours": hours}


def signing_status(endpoint: WebhookEndpoint) -> list[str]:
    """What signs this endpoint's deliveries besides its secret, for its edit page, one sentence each; names
    no other secret."""
    status = []
    if endpoint.legacy_signing_secret():
        status.append(
            # Translators: keep X-Video-Webhook-* and Standard Webhooks as they are.
            _(
                "Deliveries also carry the old X-Video-Webhook-* headers, signed with the secret this "
                "endpoint had before Standard Webhooks, until a rotation retires that key."
            )
        )
    if len(endpoint.signing_secrets()) > 1:
        until = date_format(localtime(endpoint.previous_secret_expires_at), "DATETIME_FORMAT")
        # Translators: %(until)s is a date and time.
        status.append(
            _("The secret replaced by the last rotation signs too, until %(until)s.") % {"until": until}
        )
    return status


class WebhookEndpointViewSet(ModelViewSet):
    model = WebhookEndpoint
    name = "video_api_webhooks"
    url_prefix = "video-api/webhooks"
    icon = "link"
    menu_label = gettext_lazy("Webhooks")
    copy_view_enabled = False
    index_view_class = type("WebhookIndexView", (OrganizationScopedViews, generic.IndexView), {})
    add_view_class = type("WebhookCreateView", (OrganizationScopedViews, generic.CreateView), {})
    edit_view_class = type("WebhookEditView", (OrganizationScopedViews, generic.EditView), {})
    delete_view_class = type("WebhookDeleteView", (OrganizationScopedViews, generic.DeleteView), {})
    # The endpoint's __str__ rather than its url field: a URL saved with a password is shown without it.
    list_display = ["__str__", "events", "is_active", "organization_id", "created_at"]
    form_fields = ["url", "events", "is_active", "organization_id"]

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return WebhookEndpointForm


class ReadOnlyPolicy(ModelPermissionPolicy):
    """The delivery log is written by the events worker only; people read it."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in ("add", "change", "delete"):
            return False
        return user.is_active and (user.is_superuser or super().user_has_permission(user, "view"))


class WebhookDeliveryViewSet(ModelViewSet):
    model = WebhookDelivery
    # Set here, where every supported Wagtail reads it; Wagtail 8's registry has it too (wagtail_hooks).
    permission_policy = ReadOnlyPolicy(WebhookDelivery)
    name = "video_api_deliveries"
    url_prefix = "video-api/deliveries"
    icon = "list-ul"
    menu_label = gettext_lazy("Webhook deliveries")
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = type("DeliveryIndexView", (OrganizationScopedViews, generic.IndexView), {})
    inspect_view_class = type("DeliveryInspectView", (OrganizationScopedViews, generic.InspectView), {})
    list_display = [
        "event",
        Column("endpoint", accessor="endpoint", label=gettext_lazy("Endpoint")),
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    inspect_view_fields = [
        "delivery_id",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "payload",
    ]
    form_fields = ["event"]  # never rendered: ReadOnlyPolicy (registered in wagtail_hooks) allows no change


class HeadlessAPIViewSetGroup(ViewSetGroup):
    """The Settings → "Video API" menu."""

    menu_label = gettext_lazy("Video API")
    menu_icon = "code"
    add_to_settings_menu = True
    items = (ApiTokenViewSet, WebhookEndpointViewSet, WebhookDeliveryViewSet)
