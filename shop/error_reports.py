"""Error reports that never show a password written into a URL.

Django's reporter filter hides settings and request headers whose *names* sound secret (``PASSWORD``,
``SECRET_KEY``, ``API_TOKEN``…), but a URL setting such as ``DATABASE_URL`` or ``REDIS_URL`` carries its
password in the value, under an innocent name, and the development server copies the whole environment into
``request.META``. Error pages (with ``DEBUG`` on) and the error e-mails sent to ``ADMINS`` (with it off) go
through this filter, so both show such URLs with the password masked.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# ``scheme://user:password@`` or ``scheme://password@`` (Redis writes a password alone): the userinfo part
# of every URL inside a string, wherever in the string it is.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@")


def mask_url_credentials(text: str, mask: str = "********") -> str:
    """``text`` with the password of every URL in it replaced by ``mask`` (a user name alone is kept)."""

    def masked(match: re.Match[str]) -> str:
        user, has_password, _ = match["userinfo"].partition(":")
        userinfo = f"{user}:{mask}" if has_password else mask
        return f"{match['scheme']}{userinfo}@"

    return _USERINFO.sub(masked, text)


class UrlCredentialsReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, plus URL passwords masked in every setting and ``request.META`` value."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_credentials(cleansed, self.cleansed_substitute)
        return cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        # A frame that was parsing or connecting to a URL holds it in a local variable.
        return [
            (name, mask_url_credentials(value, self.cleansed_substitute) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
