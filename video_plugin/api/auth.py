"""Bearer-token authentication: each token belongs to one organization, and the API shows only its jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from video_plugin.models import ApiToken

# Recording every use would write to the database on every request; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class OrganizationTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer vt_…``; ``request.auth`` becomes the :class:`ApiToken`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, plain = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not plain.strip():
            raise exceptions.AuthenticationFailed(
                "send the token as 'Authorization: Bearer <token>'; create one in the Wagtail admin under "
                "Settings → API tokens"
            )
        token = ApiToken.objects.filter(token_hash=ApiToken.hash(plain.strip())).first()
        if token is None:
            raise exceptions.AuthenticationFailed(
                "the API token is unknown or was deleted; create a new one in the Wagtail admin"
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Tokens act for an organization, not for a person.
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        # Its presence makes DRF answer 401 rather than 403 to a request without credentials.
        return f'{self.keyword} realm="video-jobs"'


class HasOrganizationToken(permissions.BasePermission):
    """Allows requests authenticated by an organization's API token."""

    message = "this endpoint needs an API token"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiToken)


def organization_id(request: Request) -> int:
    """The organization the request's token acts for."""
    return request.auth.organization_id
