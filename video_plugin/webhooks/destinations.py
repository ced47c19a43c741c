"""Where webhooks may be sent: public internet addresses only, unless the host allows private networks.

An organization's admin types the URL, but the events worker calls it from inside the shop's network. Without
a check, ``http://169.254.169.254/…`` or ``http://127.0.0.1:6379/`` would make the worker call the cloud's
metadata service or the shop's own Redis (server-side request forgery). The address is checked twice: when
the endpoint is saved, for a clear form error, and on every delivery against the address actually connected
to, because a name's DNS answer can change after it was saved.

``WAGTAIL_VIDEO["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True`` turns both checks off, for receivers on the same
network as the worker.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.request
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from video_plugin.conf import video_settings
from video_plugin.webhooks.redaction import has_credentials, redacted_url

ALLOWED_SCHEMES = ("http", "https")
# RFC 6052's well-known NAT64 prefix (the IPv4 address in the last 32 bits), and RFC 8215's local-use one,
# which only the site's own translators serve: never a public destination.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
# Deprecated by RFC 4291 (::a.b.c.d); ::1 and :: are in it too, and not global.
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
SETTING_HINT = 'set WAGTAIL_VIDEO["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True if the receiver is on your network'


class PrivateAddressRefused(OSError):
    """A delivery that would have reached a private, loopback or link-local address."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, which a translator or tunnel on the way may deliver to:
    NAT64 (``64:ff9b::/96``), 6to4 (``2002::/16``), Teredo (server and client) and the deprecated
    IPv4-compatible ``::a.b.c.d``."""
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local, multicast, …).

    An IPv6 address that embeds an IPv4 one is public only if the IPv4 address is too: ``64:ff9b::7f00:1``
    reaches 127.0.0.1 through a NAT64 gateway, ``2002:a9fe:a9fe::`` 169.254.169.254 through a 6to4 relay.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is no part of it
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))  # ::ffff:127.0.0.1 is 127.0.0.1 itself
        # Python's address tables before 3.12.4 count the local-use NAT64 prefix as global.
        if ip in LOCAL_NAT64 or not all(is_public_address(str(v4)) for v4 in embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast


def private_networks_allowed() -> bool:
    return bool(video_settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)


def url_refusal(url: str) -> str | None:
    """Why a webhook URL may not be saved, or ``None`` when it may.

    A name that does not resolve now is accepted: it cannot reach anything yet, and every delivery checks the
    address it connects to.
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        # Translators: %(url)s is the quoted URL.
        return _("webhook URL %(url)s must start with http:// or https://") % {"url": repr(redacted_url(url))}
    if has_credentials(url):
        return _(
            "webhook URL must not contain a user name or password (user:password@): it would be shown in the "
            "delivery log; remove them, and have your receiver check each request's signature with this "
            "endpoint's signing secret (shown on its edit page) instead"
        )
    if private_networks_allowed():
        return None
    host = parts.hostname or ""
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(host, parts.port or None, type=socket.SOCK_STREAM)
        }
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    private = sorted(address for address in addresses if not is_public_address(address))
    if private:
        # Translators: %(host)s is the quoted host name, %(addresses)s a list of IP addresses; keep
        # WAGTAIL_VIDEO["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True as it is.
        return _(
            "webhook URL host %(host)s is a private, loopback or link-local address (%(addresses)s); use a "
            'public URL, or set WAGTAIL_VIDEO["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True if the receiver is on '
            "your network"
        ) % {"host": repr(host), "addresses": ", ".join(private)}
    return None


def _refuse_private_peer(sock: socket.socket, host: str) -> None:
    address = sock.getpeername()[0]
    if not is_public_address(address):
        sock.close()
        raise PrivateAddressRefused(
            f"refused to send to {host!r}: it resolved to the private address {address}; {SETTING_HINT}"
        )


class PublicOnlyHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection that hangs up, before sending anything, if the peer is not a public address."""

    def connect(self) -> None:
        super().connect()
        _refuse_private_peer(self.sock, self.host)


class PublicOnlyHTTPSConnection(http.client.HTTPSConnection, PublicOnlyHTTPConnection):
    """The HTTPS variant: ``HTTPSConnection.connect`` runs the peer check before the TLS handshake."""


class _PublicOnlyHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(PublicOnlyHTTPConnection, req)


class _PublicOnlyHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(PublicOnlyHTTPSConnection, req, context=ssl.create_default_context())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # Following a redirect would turn the POST into a GET and drop the body (and could lead anywhere); the
    # receiver must fix its URL.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def webhook_opener() -> urllib.request.OpenerDirector:
    """An opener for deliveries: HTTP(S) only, no redirects, no proxies from the environment, and public
    addresses only unless private networks are allowed."""
    if private_networks_allowed():
        transports: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
        ]
    else:
        transports = [_PublicOnlyHTTPHandler(), _PublicOnlyHTTPSHandler()]
    opener = urllib.request.OpenerDirector()
    # Built by hand rather than with build_opener, which would add ftp:, file: and data: handlers.
    for handler in [
        *transports,
        _NoRedirects(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.UnknownHandler(),
    ]:
        opener.add_handler(handler)
    return opener
