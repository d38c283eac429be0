"""Which origin a local request's links are built on, when no GARDEN_PUBLIC_URL fixes one.

The local server listens on one address (``make run HOST=0.0.0.0`` listens on all of the
machine's); its public URL then defaults to its own address, 127.0.0.1 for a wildcard. A phone
or a wall screen reaching it at http://192.168.1.20:8000/ needs its links there, so a request
gets them on the address it used — its ``Host`` header — but only when that names this server:

- the port must be the server's own;
- the name must be a loopback name or address, the address the server listens on, or — when
  it listens on a loopback or wildcard address (which the local server's public URL cannot
  tell apart) — the machine's host name (and its ``.local`` mDNS name) or one of its
  interfaces' addresses.

Anything else (a forged Host, a name the machine does not know it has) gets the public URL.
Nothing here asks the network: no DNS, only the kernel's interface list (Linux; elsewhere the
loopback names and the host name).
"""
from __future__ import annotations

import ipaddress
import re
import socket
import struct
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import Settings

LOOPBACK = frozenset({"localhost", "localhost.localdomain", "127.0.0.1", "::1"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})
DEFAULT_PORTS = {"http": 80, "https": 443}
REFRESH_S = 30.0        # interfaces come and go (DHCP, Wi-Fi): look again after this
_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))"
                   r"(?::(?P<port>[0-9]{1,5}))?")
_SIOCGIFADDR = 0x8915   # Linux: an interface's IPv4 address
_IF_INET6 = Path("/proc/net/if_inet6")

_lock = threading.Lock()
_machine: tuple[float, frozenset[str]] | None = None


def origin_for(environ: Mapping[str, Any], settings: Settings) -> str | None:
    """The origin a request's links go on (``http://192.168.1.20:8000``), or None for the
    public URL: when GARDEN_PUBLIC_URL is set, or the Host is not one of this server's."""
    if settings.public_url_given:
        return None
    given = environ.get("HTTP_HOST")
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    if not isinstance(given, str) or len(given) > 300 or scheme not in DEFAULT_PORTS:
        return None
    found = _HOST.fullmatch(given.strip())
    if found is None:
        return None
    public = urlsplit(settings.public_url)
    try:
        port = public.port or DEFAULT_PORTS.get(public.scheme, 80)
    except ValueError:
        return None
    asked = int(found["port"]) if found["port"] else DEFAULT_PORTS[scheme]
    host = _normal(found["v6"] or found["name"])
    if asked != port or host is None or host not in own_hosts(public.hostname or ""):
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if asked == DEFAULT_PORTS[scheme] else f":{asked}")


def own_hosts(listening: str) -> frozenset[str]:
    """The names and addresses (lower case, IPv6 without brackets) a request may reach a
    server listening on ``listening`` by."""
    bound = _normal(listening) or ""
    names = set(LOOPBACK) | {bound}
    if bound in LOOPBACK or bound in WILDCARD:
        names |= machine_hosts()
    return frozenset(names - WILDCARD)


def machine_hosts() -> frozenset[str]:
    """This machine's host name (short, full, ``.local``) and its interfaces' addresses;
    looked up again every REFRESH_S seconds."""
    global _machine
    now = time.monotonic()
    with _lock:
        if _machine is not None and now - _machine[0] < REFRESH_S:
            return _machine[1]
    found = {*_host_names(), *_ipv4_addresses(), *_ipv6_addresses()}
    hosts = frozenset(h for h in (_normal(n) for n in found) if h)
    with _lock:
        _machine = (now, hosts)
    return hosts


def lan_address() -> str | None:
    """One address other machines may reach this one at (the first non-loopback IPv4)."""
    for address in sorted(_ipv4_addresses()):
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def announcement(server_url: str, settings: Settings) -> str:
    """The start banner's line: the URL phones (the take-home page's QR code) and wall screens
    get in their links."""
    if settings.public_url_given:
        return f"{settings.public_url}/ for phones and screens (GARDEN_PUBLIC_URL)"
    parts = urlsplit(server_url)
    host = _normal(parts.hostname or "") or ""
    if host in WILDCARD:
        lan = lan_address()
        example = f"{parts.scheme}://{lan}:{parts.port}/" if lan else settings.public_url + "/"
        return (f"phones and screens get the address they use, e.g. {example} (set "
                f"GARDEN_PUBLIC_URL to fix one)")
    if host in LOOPBACK:
        return (f"{settings.public_url}/, this machine only (HOST=0.0.0.0 serves phones and "
                f"screens)")
    return f"{settings.public_url}/ for phones and screens"


def _normal(host: str | None) -> str | None:
    """A host name or address as compared: lower case, no trailing dot, IPv6 compressed."""
    if host is None:
        return None
    text = host.strip().strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(text.split("%", 1)[0]))
    except ValueError:
        return text if re.fullmatch(r"[a-z0-9.-]{1,253}", text) else None


def _host_names() -> set[str]:
    try:
        name = socket.gethostname()   # the kernel's, no lookup
    except OSError:
        return set()
    if not name:
        return set()
    short = name.split(".", 1)[0]
    return {name, short, f"{short}.local"}


def _ipv4_addresses() -> set[str]:
    try:
        import fcntl
        interfaces = socket.if_nameindex()
    except (ImportError, OSError):
        return set()
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in interfaces:
            try:
                raw = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR,
                                  struct.pack("256s", name.encode()[:15]))
            except OSError:   # an interface without an IPv4 address
                continue
            found.add(socket.inet_ntoa(raw[20:24]))
    return found


def _ipv6_addresses() -> set[str]:
    try:
        lines = _IF_INET6.read_text().splitlines()
    except OSError:
        return set()
    found = set()
    for line in lines:
        fields = line.split()
        if fields and len(fields[0]) == 32:
            try:
                found.add(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
            except ValueError:
                continue
    return found
