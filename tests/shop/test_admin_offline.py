"""The admin makes the editor's browser call no outside service (Wagtail's default avatars are Gravatar's)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_admin_pages_name_no_avatar_service(world, client):
    client.force_login(world.users[("owner", "acme")])
    for url in ("/admin/", "/admin/account/", f"/admin/pages/{world.product['acme'].pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"gravatar" not in response.content.lower(), url
