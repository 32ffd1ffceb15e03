"""The client's address: the one answer that throttling, rate limits, audit events and consent rows record."""

import ipaddress

from django.conf import settings
from python_ipware import IpWare


def client_ip(request):
    """The client's IP address as a string, or None when the request carries no usable address.

    With ``TRUSTED_PROXY_COUNT = N > 0`` each of the N proxies in front of Medly
    appends the address it received the request from to ``X-Forwarded-For``, so
    the client is the N-th entry from the right; entries further left were
    written by the client and are ignored. A header too short to hold that
    entry, or holding no address there, means the request did not come through
    the proxies as configured: the peer address (``REMOTE_ADDR``) is used.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
        if isinstance(forwarded, str) and forwarded:
            # python-ipware's proxy_count counts the hops after the client; the
            # rightmost entry was appended by the proxy nearest to Medly.
            # Quotes are never part of an address; an unclosed one written by
            # the client would swallow the entries the proxies appended.
            resolver = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), leftmost=True, proxy_count=proxies - 1)
            address, _trusted = resolver.get_client_ip({"HTTP_X_FORWARDED_FOR": forwarded.replace('"', "")})
            if address is not None:
                return str(address)
    return _peer_address(request)


def _peer_address(request):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
