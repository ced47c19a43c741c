"""The permission policies of Wagtail's models, found the same way on every supported Wagtail.

Wagtail 8 keeps each model's policy in one registry (``wagtail.permissions.policy_registry``); Wagtail 7.4
has none, and each app exposes its policy from its own module. The plugin and the example shop ask here
instead of importing either.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from wagtail.images import get_image_model
from wagtail.permission_policies import ModelPermissionPolicy
from wagtailmedia import get_media_model
from wagtailmedia import get_permission_policy as media_permission_policy

try:
    from wagtail.permissions import policy_registry, register_permission_policy
except ImportError:  # Wagtail 7.4 (Wagtail 8 deprecates the module imported here)
    from wagtail.images import permissions as image_permissions
    from wagtail.models import Page
    from wagtail.permissions import page_permission_policy

    policy_registry = register_permission_policy = None


def permission_policy_for(model: type[Model]) -> Any:
    """The permission policy that governs ``model``: pages' by the page tree, images' and media's by
    collection, else by model."""
    if policy_registry is not None:
        return policy_registry.get_by_type(model)
    if issubclass(model, Page):
        return page_permission_policy
    if issubclass(model, get_image_model()):
        # Read at call time: Wagtail sets it once the image model is known.
        return image_permissions.permission_policy
    if issubclass(model, get_media_model()):
        return media_permission_policy()
    return ModelPermissionPolicy(model)


def register_policy(model: type[Model], policy: Any) -> None:
    """Register ``policy`` for ``model`` in Wagtail 8's registry; Wagtail 7.4 reads policies from the viewsets
    only, so a viewset of ``model`` must name it too."""
    if register_permission_policy is not None:
        register_permission_policy(model, policy)
