"""Facts about this machine for the report: OS, timezone, locale, proxy and VPN hints,
and the browsers (found by :mod:`escalate.facts.browsers`).

:func:`collect` never raises and never hangs: every probe is wrapped, unknown facts are
``None`` or an empty list, and the few probes that must run a program (``chrome --version``,
``xdg-settings``) run concurrently with a short timeout. Versions are read from files when
the browser ships one (Firefox ``application.ini``, snap ``snap.yaml``, macOS ``Info.plist``,
Windows version folders) because starting a browser is the slowest thing we could do.

The filesystem root, the environment variables and the OS family are parameters so tests can
describe a whole fake machine in a temporary folder.
"""

from __future__ import annotations

import os
import platform
import socket
import warnings
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.facts.browsers import browsers_and_default, desktop_app
from escalate.facts.probes import read_text, safe, under

if TYPE_CHECKING:
    from escalate.model import Environment


def _environment(**fields: Any) -> Environment:
    # Imported on first use, not at the top (measured in `nox -s bench`): collect() runs in
    # a thread while the main thread imports pydantic, and the probes must not wait for it.
    from escalate.model import Environment

    return Environment(**fields)


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# Interface names that VPN clients create. macOS keeps utun0..utunN up for its own services
# (iCloud Private Relay, Back to My Mac), so utun there says nothing and is left out.
_VPN_PREFIXES = (
    "tun",
    "tap",
    "wg",
    "utun",
    "ppp",
    "tailscale",
    "zt",
    "nordlynx",
    "proton",
    "ipsec",
    "vpn",
    "mullvad",
    "cscotun",
    "gpd",
)
_VPN_PREFIXES_MACOS = tuple(p for p in _VPN_PREFIXES if p != "utun")


# --- OS, arch, locale, timezone --------------------------------------------------------------


def normalize_arch(machine: str) -> str | None:
    """Map the many spellings of a CPU architecture to x86_64, arm64, x86 or itself."""
    m = machine.strip().lower()
    if not m:
        return None
    if m in ("x86_64", "amd64", "x64", "em64t"):
        return "x86_64"
    if m in ("arm64", "aarch64", "armv8", "armv8l", "arm64e"):
        return "arm64"
    if m in ("i386", "i486", "i586", "i686", "x86"):
        return "x86"
    return m


def parse_os_release(text: str) -> dict[str, str]:
    """Parse the shell-style KEY="value" lines of os-release(5)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or not key or key.startswith("#"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key] = value.replace('\\"', '"').replace("\\\\", "\\")
    return out


def _linux_os(root: Path) -> tuple[str | None, str | None]:
    for candidate in ("/etc/os-release", "/usr/lib/os-release"):
        text = read_text(under(root, candidate))
        if text is None:
            continue
        info = parse_os_release(text)
        name = info.get("NAME") or info.get("PRETTY_NAME")
        version = info.get("VERSION") or info.get("VERSION_ID") or info.get("BUILD_ID")
        if name and version and version in name:  # PRETTY_NAME fallback already has it
            version = None
        if name:
            return name, version
    return "Linux", platform.release() or None


def _macos_os(root: Path) -> tuple[str | None, str | None]:
    import plistlib

    plist = under(root, "/System/Library/CoreServices/SystemVersion.plist")
    try:
        with plist.open("rb") as fh:
            version = plistlib.load(fh).get("ProductVersion")
        if isinstance(version, str) and version:
            return "macOS", version
    except Exception:  # unreadable or not a plist: ask the running system instead
        return "macOS", platform.mac_ver()[0] or None
    return "macOS", platform.mac_ver()[0] or None


def _windows_os() -> tuple[str | None, str | None]:
    release, build, _sp, _ptype = platform.win32_ver()
    parts = build.split(".")
    # Windows 11 still reports release "10" before Python 3.12; the build number tells.
    if release == "10" and len(parts) >= 3 and parts[2].isdigit() and int(parts[2]) >= 22000:
        release = "11"
    if not release:
        return "Windows", None
    return "Windows", f"{release} (build {parts[2]})" if len(parts) >= 3 else release


def detect_os(system: str, root: Path = Path("/")) -> tuple[str | None, str | None]:
    """(name, version) of the operating system, e.g. ("macOS", "15.1")."""
    if system == "Linux":
        return _linux_os(root)
    if system == "Darwin":
        return _macos_os(root)
    if system == "Windows":
        return _windows_os()
    return (system or None), (platform.release() or None)


def detect_locale(env: Mapping[str, str]) -> str | None:
    """The messages locale: LC_ALL, LC_MESSAGES, LANG, then what Python was started with."""
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "").strip()
        if value:
            return value
    import locale

    lang, encoding = locale.getlocale()
    if not lang:
        return None
    return f"{lang}.{encoding}" if encoding else lang


def _zone_from_tz(value: str) -> str | None:
    """An IANA name from a TZ value (``Europe/Paris``, ``:Europe/Paris`` or a zoneinfo path)."""
    from zoneinfo import ZoneInfo

    value = value[1:] if value.startswith(":") else value
    candidates = [value]
    if Path(value).is_absolute():
        parts = Path(os.path.realpath(value)).parts
        candidates = ["/".join(parts[i:]) for i in range(1, len(parts))]
    for name in candidates:
        try:
            ZoneInfo(name)
        except Exception:  # noqa: S112 - POSIX rule strings and typos are not names
            continue
        return name
    return None


def detect_timezone(env: Mapping[str, str] | None = None) -> str | None:
    """The IANA timezone name: a TZ naming a zone wins, then the system setting (tzlocal)."""
    env = os.environ if env is None else env
    tz = env.get("TZ", "")
    if tz:
        name = safe(lambda: _zone_from_tz(tz))
        if name:
            return name
    try:
        import tzlocal

        with warnings.catch_warnings():  # a mismatched /etc/timezone only warns; still a name
            warnings.simplefilter("ignore")
            found = tzlocal.get_localzone_name()
    except Exception:
        return None
    return found if isinstance(found, str) and found else None


def format_offset(seconds: float) -> str:
    """``19800`` → ``"+05:30"``."""
    sign = "-" if seconds < 0 else "+"
    minutes = abs(int(seconds)) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def utc_offset(zone: str | None, now: datetime | None = None) -> str | None:
    """The zone's current UTC offset (the process's own offset when the zone is unknown)."""
    from datetime import UTC

    def compute() -> str | None:
        instant = now or datetime.now(UTC)
        if zone:
            from zoneinfo import ZoneInfo

            local = instant.astimezone(ZoneInfo(zone))
        else:
            local = instant.astimezone()
        delta = local.utcoffset()
        return None if delta is None else format_offset(delta.total_seconds())

    return safe(compute)


# --- proxy and VPN hints ---------------------------------------------------------------------


def proxy_variables(env: Mapping[str, str]) -> list[str]:
    """Names (never values) of the proxy variables that are set and non-empty."""
    wanted = set(PROXY_VARS)
    return sorted(k for k, v in env.items() if k.upper() in wanted and v.strip())


def _looks_vpn(name: str, prefixes: tuple[str, ...]) -> bool:
    return name.lower().startswith(prefixes)


def _linux_if_up(folder: Path) -> bool:
    operstate = (read_text(folder / "operstate") or "").strip().lower()
    flags_text = (read_text(folder / "flags") or "").strip()
    if not operstate and not flags_text:
        return False
    # tun/wg devices have no carrier concept and report "unknown" while working.
    if operstate and operstate not in ("up", "unknown"):
        return False
    if flags_text:
        try:
            return bool(int(flags_text, 16) & 0x1)  # IFF_UP
        except ValueError:
            return False
    return True


def vpn_interfaces(system: str, root: Path = Path("/")) -> list[str]:
    """Names of network interfaces that look like a VPN and are up."""
    if system == "Linux":
        net = under(root, "/sys/class/net")
        return sorted(
            p.name for p in net.iterdir() if _looks_vpn(p.name, _VPN_PREFIXES) and _linux_if_up(p)
        )
    prefixes = _VPN_PREFIXES_MACOS if system == "Darwin" else _VPN_PREFIXES
    # Elsewhere we can only see that the interface exists, not that it is up.
    return sorted({name for _i, name in socket.if_nameindex() if _looks_vpn(name, prefixes)})


def collect(
    env: Mapping[str, str] | None = None, root: Path = Path("/"), system: str | None = None
) -> Environment:
    """Everything we can learn about this machine in well under a second; never raises."""
    env = dict(os.environ) if env is None else env
    if system is None:
        system = safe(platform.system) or ""
    os_name, os_version = safe(partial(detect_os, system, root)) or (None, None)
    zone = safe(partial(detect_timezone, env))
    browsers, default = safe(partial(browsers_and_default, system, root, env)) or ([], None)
    return _environment(
        os_name=os_name,
        os_version=os_version,
        arch=safe(lambda: normalize_arch(platform.machine())),
        timezone=zone,
        utc_offset=utc_offset(zone),
        locale=safe(partial(detect_locale, env)),
        browsers=browsers,
        default_browser=default,
        desktop_app=safe(partial(desktop_app, system, root, env)),
        proxy_vars=safe(partial(proxy_variables, env)) or [],
        vpn_interfaces=safe(partial(vpn_interfaces, system, root)) or [],
        python=safe(platform.python_version),
    )
