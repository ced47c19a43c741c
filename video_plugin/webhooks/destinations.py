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

from video_plugin.conf import video_settings

ALLOWED_SCHEMES = ("http", "https")
SETTING_HINT = 'set WAGTAIL_VIDEO["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True if the receiver is on your network'


class PrivateAddressRefused(OSError):
    """A delivery that would have reached a private, loopback or link-local address."""


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local, multicast, …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is no part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
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
        return f"webhook URL {url!r} must start with http:// or https://"
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
        return (
            f"webhook URL host {host!r} is a private, loopback or link-local address ({', '.join(private)}); "
            f"use a public URL, or {SETTING_HINT}"
        )
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
