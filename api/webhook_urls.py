"""Where a webhook may be sent: checked when it is subscribed and again at every attempt.

An https:// URL (http:// only where WEBHOOKS_ALLOW_HTTP: development and tests), at most 500 characters, without
a user name or password, whose host resolves — and every address it resolves to is public: never this machine,
a private network, a link-local (cloud metadata) or any other reserved address, unless
WEBHOOKS_ALLOW_PRIVATE_URLS (development and tests). The attempt then connects to one of the addresses checked
(api.webhook_sending), so a name that resolves elsewhere a moment later is never followed there.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query
    addresses: tuple[str, ...]  # where to connect: checked, or empty to let the system resolve (private allowed)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ValidationError(_("The host %(host)s cannot be found.") % {"host": host}) from exc
    return list(dict.fromkeys(info[4][0] for info in found))


def check_url(url: str, *, resolve_host: bool = True) -> Target:
    """The URL's target, or a ValidationError saying plainly what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise ValidationError(_("Give the URL WasteX should send the events to."))
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(
            _("The URL is too long: at most %(max)d characters (it has %(length)d).")
            % {"max": MAX_URL_LENGTH, "length": len(url)}
        )
    if any(ord(char) < 33 for char in url):
        raise ValidationError(_("The URL cannot contain spaces or control characters."))
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme.lower() not in allowed:
        raise ValidationError(_("The URL must start with https:// (events are sent encrypted only)."))
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise ValidationError(_("The URL's port is not a number between 1 and 65535.")) from exc
    host = parts.hostname or ""
    if not host:
        raise ValidationError(_("The URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("Leave user names and passwords out of the URL: the signature proves the sender."))
    if parts.fragment:
        raise ValidationError(_("Leave the part after “#” out of the URL."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = Target(parts.scheme.lower(), host, port, path, ())
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS or not resolve_host:
        return target
    addresses = resolve(host, port)
    refused = [address for address in addresses if not is_public(address)]
    if refused or not addresses:
        raise ValidationError(
            _(
                "The host %(host)s resolves to an address on this machine or a private network (%(addresses)s): "
                "WasteX sends events only to public addresses."
            )
            % {"host": host, "addresses": ", ".join(refused)}
        )
    return Target(target.scheme, host, port, path, tuple(addresses))
