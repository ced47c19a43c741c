"""The presenter, consent record and revocation forms of Settings → Presenters, with the rules a person can
break and the message that says how to put it right.

- A presenter's photo is one of its organization's own images (:func:`video_plugin.jobs.presenters
  .may_use_image`, as brand kits check their logo), and one photo is one presenter.
- A synthetic, stock or public-domain face needs its licence, and only where the site allows such presenters
  (``WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"]``). A photo whose content credentials say a trained model made it
  (:mod:`video_plugin.presenters.provenance`) can only be such a presenter: nobody in it could consent.
- Consent is recorded for a person presenter of an organization the user manages, with its evidence (a
  Wagtail document in the organization's collection) and an end, if any, after its start.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.documents.widgets import AdminDocumentChooser
from wagtail.images.widgets import AdminImageChooser

from video_plugin.api.admin_viewsets import OrganizationForm, manageable_organizations
from video_plugin.conf import video_settings
from video_plugin.jobs.presenters import may_use_image
from video_plugin.models import ConsentRecord, Presenter
from video_plugin.presenters.provenance import is_ai_generated
from video_plugin.tenancy import OrganizationInfo, get_tenancy


class PresenterForm(OrganizationForm):
    """A presenter: its organization (one of the user's, fixed once saved), name, photo, kind and licence."""

    class Meta:
        model = Presenter
        fields = ["organization_id", "name", "photo", "kind", "licence"]
        widgets = {
            "photo": AdminImageChooser,
            "kind": forms.RadioSelect,
            "licence": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not video_settings.SYNTHETIC_PRESENTERS:
            # Not offered; a form posted with it anyway is refused with the reason (clean_kind).
            kind = self.fields["kind"]
            kind.widget.choices = [(value, label) for value, label in kind.choices if value != "synthetic"]
            # Translators: keep the setting's name as is.
            kind.help_text = _(
                'This site allows only presenters who consented (WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"]).'
            )

    def organization(self) -> OrganizationInfo | None:
        organization_id = self.instance.organization_id or self.cleaned_data.get("organization_id")
        return get_tenancy().organization(organization_id) if organization_id else None

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind == Presenter.Kind.SYNTHETIC and not video_settings.SYNTHETIC_PRESENTERS:
            raise forms.ValidationError(
                # Translators: keep the setting's name as is; "A real person" is the label of the choice of
                # the Kind field (the presenter model's choices).
                _(
                    "This site allows only presenters who consented: synthetic, stock and public-domain "
                    'faces are turned off (WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"]). Choose "A real person" '
                    "and record their consent."
                )
            )
        return kind

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organization = self.organization()
        photo, kind = data.get("photo"), data.get("kind")
        if organization is None or photo is None:
            return data
        if not may_use_image(organization, photo):
            self.add_error(
                "photo",
                # Translators: %(image)s is the image's title and %(organization)s the organization's name,
                # each already in quotes.
                _("%(image)s is not one of %(organization)s's images; choose one of its own")
                % {"image": repr(photo.title), "organization": repr(organization.name)},
            )
            return data
        twin = (
            Presenter.objects.filter(organization_id=organization.id, photo=photo)
            .exclude(pk=self.instance.pk)
            .first()
        )
        if twin is not None:
            self.add_error(
                "photo",
                # Translators: %(image)s is the image's title and %(name)s a presenter's name, each already in
                # quotes.
                _("%(image)s is already the photo of presenter %(name)s")
                % {"image": repr(photo.title), "name": repr(twin.name)},
            )
        if self.instance.pk and self.instance.photo_id != photo.pk and self.instance.consents.exists():
            self.add_error(
                "photo",
                # Translators: %(name)s is the presenter's name, already in quotes.
                _(
                    "%(name)s has consent on record, given for the face in the current photo. "
                    "To show another face, add it as a new presenter and record its own consent."
                )
                % {"name": repr(self.instance.name)},
            )
        if kind == Presenter.Kind.SYNTHETIC and not data.get("licence", "").strip():
            self.add_error(
                "licence",
                _(
                    "A synthetic, stock or public-domain face needs its licence: say what allows this use "
                    "and where the face comes from (e.g. 'CC0 1.0, from the company's stock library')."
                ),
            )
        if kind == Presenter.Kind.PERSON and is_ai_generated(photo):
            self.add_error(
                "kind",
                # Translators: %(image)s is the image's title, already in quotes. Keep "digitalSourceType
                # trainedAlgorithmicMedia" as is: it is what the image's C2PA content credentials say.
                _(
                    "The content credentials of %(image)s say it was made by a trained model "
                    "(digitalSourceType trainedAlgorithmicMedia), so it shows no real person who could "
                    "consent. Add it as a synthetic presenter with its licence, or choose a photo of the "
                    "person."
                )
                % {"image": repr(photo.title)},
            )
        return data


class ConsentRecordForm(WagtailAdminModelForm):
    """A consent record of ``presenter``, recorded by ``for_user``."""

    class Meta:
        model = ConsentRecord
        fields = ["consented_by", "scope", "valid_from", "valid_until", "evidence"]
        widgets = {"evidence": AdminDocumentChooser}

    def __init__(self, *args: Any, presenter: Presenter, for_user: Any, **kwargs: Any) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        self.presenter, self.user = presenter, for_user
        self.instance.presenter = presenter
        self.fields["evidence"].error_messages["required"] = _(
            "A consent record needs its evidence: upload the signed form or the recording to the "
            "organization's collection as a document, and choose it here."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        presenter = self.presenter
        organization = get_tenancy().organization(presenter.organization_id)
        if organization is None or presenter.organization_id not in manageable_organizations(self.user):
            raise forms.ValidationError(
                # Translators: %(name)s is the presenter's name, already in quotes.
                _(
                    "%(name)s is a presenter of an organization whose presenters you do not manage; "
                    "you can record consent only for your own organizations' presenters."
                )
                % {"name": repr(presenter.name)}
            )
        if presenter.kind == Presenter.Kind.SYNTHETIC:
            raise forms.ValidationError(
                # Translators: %(name)s is the presenter's name, already in quotes.
                _(
                    "%(name)s is a synthetic, stock or public-domain face: it needs its licence, not "
                    "consent. Edit the presenter to record the licence."
                )
                % {"name": repr(presenter.name)}
            )
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error(
                "valid_until",
                # Translators: %(until)s and %(start)s are days, e.g. "02 Dec 2026".
                _(
                    "Consent cannot end (%(until)s) before it starts (%(start)s); "
                    "leave it empty for 'until revoked'."
                )
                % {
                    "until": dateformat.format(valid_until, "d M Y"),
                    "start": dateformat.format(valid_from, "d M Y"),
                },
            )
        evidence = data.get("evidence")
        allowed = get_tenancy().documents_of(organization)
        if evidence is not None and not allowed.filter(pk=evidence.pk).exists():
            self.add_error(
                "evidence",
                # Translators: %(document)s is the document's title and %(organization)s the organization's
                # name, each already in quotes.
                _(
                    "%(document)s is not in %(organization)s's collection; upload the evidence there "
                    "and choose it."
                )
                % {"document": repr(evidence.title), "organization": repr(organization.name)},
            )
        return data

    def save(self, commit: bool = True) -> ConsentRecord:
        self.instance.recorded_by = self.user
        return super().save(commit)


class RevocationForm(forms.Form):
    """Why consent is withdrawn, for the audit (optional)."""

    note = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Note"),
        help_text=gettext_lazy(
            "Optional: how and when the presenter withdrew consent, e.g. 'E-mail to HR, 2 Dec'."
        ),
    )
