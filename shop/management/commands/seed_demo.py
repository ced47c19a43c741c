"""``python manage.py seed_demo``: the demo organizations, users, pages and images. Safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from shop import demo_content


class Command(BaseCommand):
    help = "Create the demo organizations, their members of every role, product pages and a presenter photo."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            demo_content.ensure_superuser()
            site = demo_content.ensure_site()
            logins = []
            for spec in demo_content.ORGANIZATIONS:
                organization = demo_content.ensure_catalogue(spec)
                logins += [(organization.name, *login) for login in demo_content.ensure_members(organization)]

        username, password = demo_content.SUPERUSER
        self.stdout.write(self.style.SUCCESS(f"Demo content is ready. Log in at {site.root_url}/admin/ as:"))
        self.stdout.write(f"  {username:<18} {password:<26} superuser")
        for organization, username, password, role in logins:
            self.stdout.write(f"  {username:<18} {password:<26} {role.value} of {organization}")
