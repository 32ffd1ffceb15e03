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
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies > 0 and isinstance(forwarded, str):
        # Only the entries the proxies appended are handed to python-ipware, in
        # strict mode: all N must be addresses, the client first and N - 1
        # proxies after it. Whatever the client wrote further left (quotes,
        # garbage, fake hops) cannot shift that position.
        entries = forwarded.split(",")
        if len(entries) >= proxies:
            resolver = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), leftmost=True, proxy_count=proxies - 1)
            address, _trusted = resolver.get_client_ip({"HTTP_X_FORWARDED_FOR": ",".join(entries[-proxies:])}, True)
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
