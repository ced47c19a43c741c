"""Settings → Brand kits: each organization's logo, colours, font, music, cards, video defaults, voices per
language and AI label.

Scoped like the Video API screens (:mod:`video_plugin.api.admin_viewsets`): Wagtail's model permissions open
them (the shop grants ``add_brandkit`` and ``change_brandkit`` to owners and admins), and the tenancy limits
what they list and open to the organizations the user may generate for as a whole; another organization's kit
is not found. The logo and the music must be the organization's own: the choosers show the collections the
user may use, and the form refuses a file of another organization, since a member of two organizations could
otherwise choose one organization's logo for the other.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.images.widgets import AdminImageChooser
from wagtailmedia.widgets import AdminAudioChooser

from gpu_runner.protocol import (
    FORMATS,
    MAX_DISCLOSURE_CHARS,
    Disclosure,
    without_control_characters,
)
from video_plugin.api.admin_viewsets import OrganizationForm, OrganizationScopedViews
from video_plugin.brand.voices_by_language import site_languages, validate_voices_by_language
from video_plugin.jobs.capabilities import read_capabilities
from video_plugin.jobs.composition import may_use_media
from video_plugin.jobs.presenters import may_use_image
from video_plugin.models import FORMAT_CHOICES, BrandKit
from video_plugin.tenancy import get_tenancy

# The per-language voice fields are named so, after the video defaults; the kit stores them as one JSON field.
VOICE_FIELD_PREFIX = "voice_"


class VoiceInput(forms.TextInput):
    """A voice id typed freely, suggesting the voices the online runners offer in its language."""

    def __init__(self, suggestions: list[str], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        if not self.suggestions:
            return super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or name}-voices"
        field = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join(
            "", '<option value="{}"></option>', ((voice,) for voice in self.suggestions)
        )
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


def voice_fields(kit: BrandKit) -> dict[str, forms.CharField]:
    """One optional voice field per language of the site's pages (and per language the kit already has a
    voice for), each suggesting the runners' voices of that language."""
    offered = read_capabilities().voices
    languages = dict(site_languages())
    for code in kit.default_voices or {}:
        languages.setdefault(code, code)
    fields = {}
    for code, name in languages.items():
        # Examples only from what the runners offer: a guessed id might name no voice at all.
        examples = ", ".join(offered.get(code, [])[:2])
        if examples:
            # Translators: %(language)s is a language's name, %(examples)s one or two voice ids.
            help_text = _(
                "An engine-qualified voice id that speaks %(language)s, e.g. %(examples)s. Empty: the "
                "organization's default voice if it speaks %(language)s, else the runners' own %(language)s "
                "voice."
            ) % {"language": name, "examples": examples}
        else:
            # Translators: %(language)s is a language's name.
            help_text = _(
                "An engine-qualified voice id that speaks %(language)s. Empty: the organization's default "
                "voice if it speaks %(language)s, else the runners' own %(language)s voice."
            ) % {"language": name}
        fields[f"{VOICE_FIELD_PREFIX}{code}"] = forms.CharField(
            # Translators: %(language)s is a language's name.
            label=_("Voice for %(language)s pages") % {"language": name},
            required=False,
            initial=(kit.default_voices or {}).get(code, ""),
            widget=VoiceInput(offered.get(code, [])),
            help_text=help_text,
        )
    return fields


class BrandKitForm(OrganizationForm):
    """The kit's fields; a new kit's organization is one of the user's that has none yet. The voices per
    language are one field each, gathered into the kit's ``default_voices``."""

    default_formats = forms.MultipleChoiceField(
        choices=FORMAT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Empty: the default layout's own (16:9, or 9:16 for the social layout)."),
    )

    class Meta:
        model = BrandKit
        fields = [
            "organization_id",
            "logo",
            "primary_colour",
            "secondary_colour",
            "font",
            "music",
            "intro_enabled",
            "intro_seconds",
            "outro_enabled",
            "outro_seconds",
            "default_layout",
            "default_formats",
            "default_burn_captions",
            "disclosure_enabled",
            "disclosure_text",
            "disclosure_position",
        ]
        help_texts = {
            "disclosure_text": format_lazy(
                # Translators: keep the three examples as they are; {count} is a number of characters.
                gettext_lazy(
                    "Leave empty to label each video in its page's language "
                    '("AI-generated", "KI-generiert", "AI生成"…), or set one wording for every video; '
                    "at most {count} characters, in the brand font."
                ),
                count=MAX_DISCLOSURE_CHARS,
            ),
            "disclosure_position": gettext_lazy(
                "The corner of every video the label sits in, inside the layout's safe area: the social "
                "layout keeps it clear of the apps' own buttons."
            ),
        }
        widgets = {
            "logo": AdminImageChooser,
            "music": AdminAudioChooser,
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "secondary_colour": forms.TextInput(attrs={"type": "color"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "organization_id" in self.fields:
            with_kits = set(BrandKit.objects.values_list("organization_id", flat=True))
            field = self.fields["organization_id"]
            field.choices = [(pk, name) for pk, name in field.choices if pk not in with_kits]
        self.add_voice_fields()
        # Left empty, the label is in each page's language and in the contract's corner, rather than the whole
        # form being refused.
        for name in ("disclosure_text", "disclosure_position"):
            if name in self.fields:
                self.fields[name].required = False

    def add_voice_fields(self) -> None:
        """Put the per-language voice fields after the video defaults."""
        ordered = {}
        for name, field in self.fields.items():
            ordered[name] = field
            if name == "default_burn_captions":
                ordered.update(voice_fields(self.instance))
        self.fields = ordered

    def clean_voices(self) -> dict[str, str]:
        """The voice fields as ``{language: voice id}``, each refused in its own field when its id is not a
        voice id or its voice speaks another language."""
        voices = {}
        for name in self.fields:
            if not name.startswith(VOICE_FIELD_PREFIX) or name in self._errors:
                continue
            voice = (self.cleaned_data.get(name) or "").strip()
            if not voice:
                continue
            language = name.removeprefix(VOICE_FIELD_PREFIX)
            try:
                validate_voices_by_language({language: voice})
            except ValidationError as exc:
                self.add_error(name, exc)
                continue
            voices[language] = voice
        return voices

    def clean_disclosure_text(self) -> str:
        text = " ".join(without_control_characters(self.cleaned_data.get("disclosure_text") or "").split())
        return text

    def clean_disclosure_position(self) -> str:
        return self.cleaned_data.get("disclosure_position") or Disclosure().position

    def clean_default_formats(self) -> list[str]:
        chosen = self.cleaned_data["default_formats"]
        return [name for name in FORMATS if name in chosen]  # the contract's order

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Not a form field of its own (no JSON box to type into): the model form leaves it to us.
        self.instance.default_voices = self.clean_voices()
        organization_id = self.instance.organization_id or data.get("organization_id")
        organization = get_tenancy().organization(organization_id) if organization_id else None
        if organization is None:
            return data
        logo = data.get("logo")
        if logo is not None and not may_use_image(organization, logo):
            self.add_error(
                "logo",
                # Translators: %(image)s is the quoted image title, %(organization)s the quoted organization.
                _("%(image)s is not one of %(organization)s's images; choose one of its own")
                % {"image": repr(logo.title), "organization": repr(organization.name)},
            )
        music = data.get("music")
        if music is not None and not may_use_media(organization, music):
            self.add_error(
                "music",
                # Translators: %(media)s is the quoted media title, %(organization)s the quoted organization.
                _("%(media)s is not in %(organization)s's collection; upload it there")
                % {"media": repr(music.title), "organization": repr(organization.name)},
            )
        return data


def organization_name(kit: BrandKit) -> str:
    """The name of the kit's organization, as the tenancy knows it."""
    organization = get_tenancy().organization(kit.organization_id)
    if organization:
        return organization.name
    # Translators: %(id)s is an organization's number.
    return _("organization %(id)s (deleted)") % {"id": kit.organization_id}


class BrandKitIndexView(OrganizationScopedViews, generic.IndexView):
    """The user's organizations' kits."""

    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("logo", "music")


class BrandKitCreateView(OrganizationScopedViews, generic.CreateView):
    """A kit for one of the user's organizations that has none yet."""


class BrandKitEditView(OrganizationScopedViews, generic.EditView):
    """One of the user's organizations' kits; another's is not found."""


class BrandKitDeleteView(OrganizationScopedViews, generic.DeleteView):
    """Deleting a kit gives the organization the default look again."""


class BrandKitViewSet(ModelViewSet):
    model = BrandKit
    name = "video_brand_kits"
    url_prefix = "video-brand-kits"
    icon = "image"
    menu_label = gettext_lazy("Brand kits")
    add_to_settings_menu = True
    copy_view_enabled = False
    index_view_class = BrandKitIndexView
    add_view_class = BrandKitCreateView
    edit_view_class = BrandKitEditView
    delete_view_class = BrandKitDeleteView
    list_display = [
        Column("organization", accessor=organization_name, label=gettext_lazy("Organization")),
        "primary_colour",
        "secondary_colour",
        "font",
        "default_layout",
        "updated_at",
    ]

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return BrandKitForm
