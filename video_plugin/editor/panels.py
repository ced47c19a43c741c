"""The editor panel: the page's presenter video in every state, and the controls to make a new one."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel
from wagtail.admin.staticfiles import versioned_static
from wagtail.images.widgets import AdminImageChooser

from gpu_runner.protocol import FORMATS, LAYOUTS
from video_plugin.conf import video_settings
from video_plugin.editor.labels import format_label, layout_label, tone_label
from video_plugin.editor.state import panel_state
from video_plugin.jobs.composition import brand_kit_for, job_choices
from video_plugin.jobs.going_live import going_live_note
from video_plugin.jobs.languages import base_language
from video_plugin.jobs.scripts import DEFAULT_TONE, TONES
from video_plugin.jobs.speech_time import speaking_rates_json
from video_plugin.jobs.voices import NoVoiceForLanguage, voice_for
from video_plugin.presenters.standing import photo_standing
from video_plugin.tenancy import can_generate, get_tenancy

# The panel's inputs belong to no form: the page form must neither save them nor count them as unsaved edits.
DETACHED_FORM_ID = "video-panel-detached"
# Stands in for a job id in URL templates the panel's controller fills in.
JOB_ID_PLACEHOLDER = "JOB_ID"


class VideoPanel(Panel):
    """Add to a ``VideoPageMixin`` page's ``content_panels`` (or a tab) to show and request its presenter
    video.
    """

    def __init__(self, heading: str = _("Presenter video"), **kwargs: Any) -> None:
        super().__init__(heading=heading, **kwargs)

    @property
    def clean_name(self) -> str:
        return super().clean_name or "presenter_video"

    class BoundPanel(Panel.BoundPanel):
        template_name = "video_plugin/panels/video_panel.html"

        def is_shown(self) -> bool:
            # A page that was never saved has no id to render a video for.
            return bool(self.instance and self.instance.pk) and super().is_shown()

        def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            page = self.instance
            tenancy = get_tenancy()
            organization = tenancy.organization_for_page(page)
            allowed = organization is not None and can_generate(self.request.user, page)
            context.update(
                page=page,
                organization=organization,
                can_generate=allowed,
                # Making a video live changes the live page, which takes the right to publish it too.
                can_publish=allowed and page.permissions_for_user(self.request.user).can_publish(),
                going_live=going_live_note(organization),
                who_may_generate=tenancy.who_may_generate,
                state_json=json.dumps(panel_state(page.pk)),
                urls_json=json.dumps(self.urls(page.pk)),
                # Panels render without the request context processors, so {{ csrf_token }} would be empty.
                csrf_token=get_token(self.request),
                generate_url=reverse("video_plugin:generate", args=[page.pk]),
                # Wagtail i18n: the page's other locales, each a page of its own with its own video.
                translation_count=page.get_translations().count() if allowed else 0,
                generate_translations_url=reverse("video_plugin:generate_translations", args=[page.pk]),
                status_url=reverse("video_plugin:status", args=[page.pk]),
                poll_ms=int(video_settings.STATUS_POLL_SECONDS * 1000),
                max_script_chars=video_settings.MAX_SCRIPT_CHARS,
                speaking_rates_json=json.dumps(speaking_rates_json()),
                tones=[(name, tone_label(name)) for name in TONES],
                default_tone=DEFAULT_TONE,
                **self.voice_defaults(page, organization),
                detached_form=DETACHED_FORM_ID,
                **(self.presenter_choice(page, organization) if allowed else {"presenter_chooser": ""}),
                **(self.layout_choices(organization) if allowed else {}),
            )
            return context

        @staticmethod
        def layout_choices(organization: Any) -> dict[str, Any]:
            """The layouts and formats to choose from, preset to the organization's defaults (those of
            publish and batch jobs), and what each layout brings when the editor switches to it (social:
            vertical, captions burned in), which the controller follows until the editor chooses otherwise."""
            kit = brand_kit_for(organization.id)
            layout, formats, burn_captions = job_choices(kit)
            by_layout = {name: job_choices(kit, name) for name in LAYOUTS}
            return {
                "layouts": [(name, layout_label(name)) for name in LAYOUTS],
                "formats": [
                    {"name": name, "label": format_label(name), "width": each.width, "height": each.height}
                    for name, each in FORMATS.items()
                ],
                "default_layout": layout,
                "default_formats": list(formats),
                "default_burn_captions": burn_captions,
                "layout_defaults_json": json.dumps(
                    {
                        "layout": layout,
                        "by_layout": {
                            name: {"formats": list(chosen[1]), "burn_captions": chosen[2]}
                            for name, chosen in by_layout.items()
                        },
                    }
                ),
            }

        @staticmethod
        def voice_defaults(page: Any, organization: Any) -> dict[str, Any]:
            """The page's language, whose voices the picker lists first, and the voice a job of the page gets
            when the editor picks none (:func:`~video_plugin.jobs.voices.voice_for`): empty when none speaks
            the page's language, which the picker then says."""
            language = base_language(page.video_language())
            if organization is None:
                return {"page_language": language, "default_voice": video_settings.DEFAULT_VOICE}
            try:
                voice = voice_for(page, organization, brand_kit_for(organization.id))
            except NoVoiceForLanguage:
                voice = ""
            return {"page_language": language, "default_voice": voice}

        @staticmethod
        def urls(page_id: int) -> dict[str, str]:
            job = [page_id, JOB_ID_PLACEHOLDER]
            return {
                "generate": reverse("video_plugin:generate", args=[page_id]),
                "status": reverse("video_plugin:status", args=[page_id]),
                "script": reverse("video_plugin:script", args=[page_id]),
                "faceCheck": reverse("video_plugin:face_check", args=[page_id]),
                "voicePreview": reverse("video_plugin:voice_preview", args=[page_id]),
                "cancel": reverse("video_plugin:cancel", args=job),
                "current": reverse("video_plugin:make_current", args=job),
                "layoutPreview": reverse("video_plugin:layout_preview", args=[page_id]),
            }

        @staticmethod
        def presenter_choice(page: Any, organization: Any) -> dict[str, Any]:
            """Wagtail's image chooser, preset to the page's presenter photo or else the organization's, and
            whose face that is and whether it may be animated (with why not and who can fix it)."""
            image = page.specific.video_presenter_image() or organization.default_presenter_image
            attrs = {"id": f"video-panel-presenter-{page.pk}", "form": DETACHED_FORM_ID}
            standing = photo_standing(organization, image)
            return {
                "presenter_chooser": AdminImageChooser().render("video_panel_presenter", image, attrs=attrs),
                "presenter_standing": standing,
                "presenter_standing_json": json.dumps(standing.as_json()),
            }

        @property
        def media(self) -> forms.Media:
            # versioned_static adds Wagtail's version to the URLs, so an upgrade never serves a stale copy.
            return AdminImageChooser().media + forms.Media(
                js=[
                    reverse("video_plugin:javascript_catalog"),
                    versioned_static("video_plugin/js/video-panel-controller.js"),
                ],
                css={"all": [versioned_static("video_plugin/css/video-panel.css")]},
            )
