"""The address of the client a request came from, for the login lockout and the login log."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's address, behind settings.PROXY_COUNT reverse proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so
    the client is the PROXY_COUNT-th entry from the right; entries to its left were
    written by the client itself and are never believed. Without a proxy the header is
    ignored. When the header has fewer entries than there are proxies, or the entry is not
    an address, the request did not come through the proxies as configured and the
    connection's own address (REMOTE_ADDR) is used.

    django-axes calls this (AXES_CLIENT_IP_CALLABLE) for the lockout; wanyuan.signals for
    the login log.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
