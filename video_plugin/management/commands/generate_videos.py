"""``manage.py generate_videos [--org SLUG] [--all-locales] [--missing-only] [--dry-run]``: a batch for one
organization.

``--org`` may be left out when there is only one, as under the default tenancy (the whole site).
``--all-locales`` adds every translation of each page (Wagtail i18n), each with its own language's script and
voice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from video_plugin.jobs.batch import generate_videos
from video_plugin.tenancy import get_tenancy


class Command(BaseCommand):
    help = (
        "Request presenter videos for every live page of an organization, at batch priority "
        "(editors' and API jobs go first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--org", metavar="SLUG", help="the organization's slug (optional when there is only one)"
        )
        parser.add_argument(
            "--all-locales",
            action="store_true",
            help="also request a video for every translation of each page, one job per locale",
        )
        parser.add_argument(
            "--missing-only", action="store_true", help="skip pages that already have a current video"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be requested; send nothing"
        )

    def handle(
        self,
        *args: Any,
        org: str | None,
        all_locales: bool,
        missing_only: bool,
        dry_run: bool,
        **options: Any,
    ) -> None:
        tenancy = get_tenancy()
        organizations = tenancy.organizations()
        known = ", ".join(sorted(o.slug for o in organizations)) or "none"
        if org is None:
            if len(organizations) != 1:
                raise CommandError(f"name the organization with --org SLUG; known slugs: {known}")
            organization = organizations[0]
        else:
            organization = next((o for o in organizations if o.slug == org), None)
        if organization is None:
            raise CommandError(f"no organization with slug {org!r}; known slugs: {known}")
        report = generate_videos(
            tenancy.pages_of(organization.id),
            user=None,
            missing_only=missing_only,
            dry_run=dry_run,
            all_locales=all_locales,
        )
        for page in report.requested:
            verb = "would request" if dry_run else "requested"
            self.stdout.write(f"{verb}: page {page.pk} {page.title!r}{locale_of(page)}")
        for page, why in report.failed:
            self.stdout.write(self.style.WARNING(f"failed: page {page.pk} {page.title!r}: {why}"))
        for page, why in report.not_narratable:
            self.stdout.write(self.style.WARNING(f"skipped: page {page.pk} {page.title!r}: {why}"))
        self.stdout.write(self.style.SUCCESS(f"{organization.name}: {report.summary()}"))


def locale_of(page: Any) -> str:
    """`` [de]`` for a page in a locale, so the lines of a page's translations tell apart."""
    locale = getattr(page, "locale", None)
    return f" [{locale.language_code}]" if locale is not None else ""
