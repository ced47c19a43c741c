"""Webhook URLs as they may be shown and logged: never with the user name or password a URL can carry.

Deliveries authenticate with their signature, so a URL's ``user:password@`` has no use, and saving one is
refused (:func:`video_plugin.webhooks.destinations.url_refusal`). An endpoint saved before that rule, or
written to the database directly, may still carry one, and deliveries refuse to send to it; everything that
displays or logs a webhook URL goes through :func:`redacted_url`, so the password reaches no screen or log.
"""

from __future__ import annotations

import re

# The scheme, then the authority's userinfo: everything up to its last "@" (a password may hold one, encoded
# or not). Plain text rather than urlsplit, which raises on some malformed URLs a log line must still show.
USERINFO = re.compile(r"^(?P<scheme>[^:/?#]*:)?//(?P<userinfo>[^/?#]*)@")


def has_credentials(url: str) -> bool:
    """Whether ``url`` carries a user name or password (``https://user:password@host/``)."""
    return USERINFO.match(url) is not None


def redacted_url(url: str) -> str:
    """``url`` without its user name and password: ``https://user:pw@hooks.example/x`` is
    ``https://hooks.example/x``."""
    return USERINFO.sub(r"\g<scheme>//", url, count=1)
