"""Who is asking: the connecting address, or what a trusted proxy in front says it was."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The peer's address; when the peer is a trusted proxy (`web.trusted_proxies`), the last
    address in X-Forwarded-For instead: the one that proxy appended, the only one it vouches
    for (those before it are whatever the client wrote)."""
    remote = request.remote or "-"
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
    if not forwarded or not _within(remote, trusted):
        return remote
    last = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return remote  # not an address: the proxy did not write it


def _within(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return any(ip in network for network in trusted)
