"""Facts about this machine for the report: OS, browsers, timezone, locale, proxy and VPN hints.

:func:`collect` never raises and never hangs: every probe is wrapped, unknown facts are
``None`` or an empty list, and the few probes that must run a program (``chrome --version``,
``xdg-settings``) run concurrently with a short timeout. Versions are read from files when
the browser ships one (Firefox ``application.ini``, snap ``snap.yaml``, macOS ``Info.plist``,
Windows version folders) because starting a browser is the slowest thing we could do.

The filesystem root, the environment variables and the OS family are parameters so tests can
describe a whole fake machine in a temporary folder.
"""

from __future__ import annotations

import configparser
import os
import platform
import re
import shutil
import socket
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from escalate.text import clean_line

if TYPE_CHECKING:
    from escalate.model import Browser, Environment


# The model is imported on first use, not at import: collect() starts in a thread while
# the main thread imports pydantic, and the probes should not wait for that import lock.
def _browser(**fields: Any) -> Browser:
    from escalate.model import Browser

    return Browser(**fields)


def _environment(**fields: Any) -> Environment:
    from escalate.model import Environment

    return Environment(**fields)


T = TypeVar("T")

# Long enough for a cold `chrome --version` on a slow disk, short enough to never be noticed.
PROBE_TIMEOUT = 1.5

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

_VERSION = re.compile(r"\d+(?:\.\d+)+|\d+")
_MAX_READ = 1 << 20  # no config or version file we read is anywhere near this

# --- small safe helpers ---------------------------------------------------------------------


def _safe(probe: Callable[[], T]) -> T | None:
    """Run one probe; any failure is an unknown fact (None), never a crash."""
    try:
        return probe()
    except Exception:
        return None


def _read(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read(_MAX_READ).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _under(root: Path, absolute: str) -> Path:
    """``/etc/os-release`` under ``root`` (the real ``/`` outside tests)."""
    return root / absolute.lstrip("/")


def _first_version(text: str | None) -> str | None:
    if not text:
        return None
    m = _VERSION.search(text)
    return m.group(0) if m else None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


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
        text = _read(_under(root, candidate))
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

    plist = _under(root, "/System/Library/CoreServices/SystemVersion.plist")
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
        name = _safe(lambda: _zone_from_tz(tz))
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

    return _safe(compute)


# --- browsers --------------------------------------------------------------------------------

_LINUX_BROWSERS: dict[str, dict[str, tuple[str, ...]]] = {
    # name: commands on PATH, fixed paths, snap names
    "Chrome": {
        "cmd": (
            "google-chrome",
            "google-chrome-stable",
            "google-chrome-beta",
            "google-chrome-unstable",
        ),
        "path": ("/opt/google/chrome/google-chrome",),
        "snap": (),
    },
    "Chromium": {
        "cmd": ("chromium", "chromium-browser"),
        "path": ("/usr/lib/chromium/chromium", "/usr/lib64/chromium-browser/chromium-browser"),
        "snap": ("chromium",),
    },
    "Edge": {
        "cmd": (
            "microsoft-edge",
            "microsoft-edge-stable",
            "microsoft-edge-beta",
            "microsoft-edge-dev",
        ),
        "path": ("/opt/microsoft/msedge/msedge",),
        "snap": (),
    },
    "Firefox": {
        "cmd": ("firefox", "firefox-esr"),
        "path": (
            "/usr/lib/firefox/firefox",
            "/usr/lib64/firefox/firefox",
            "/usr/lib/firefox-esr/firefox-esr",
            "/opt/firefox/firefox",
        ),
        "snap": ("firefox",),
    },
    "Brave": {
        "cmd": ("brave-browser", "brave-browser-stable", "brave"),
        "path": ("/opt/brave.com/brave/brave",),
        "snap": ("brave",),
    },
}

_MAC_APPS = {
    "Chrome": "Google Chrome.app",
    "Chromium": "Chromium.app",
    "Edge": "Microsoft Edge.app",
    "Firefox": "Firefox.app",
    "Safari": "Safari.app",
    "Brave": "Brave Browser.app",
}

# Windows: (env var of the base folder, path under it); Chromium-family browsers keep a folder
# named after their version next to the executable.
_WIN_BROWSERS: dict[str, tuple[tuple[str, str], ...]] = {
    "Chrome": tuple(
        (base, r"Google\Chrome\Application\chrome.exe")
        for base in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")
    ),
    "Edge": tuple(
        (base, r"Microsoft\Edge\Application\msedge.exe")
        for base in ("ProgramFiles(x86)", "ProgramFiles")
    ),
    "Brave": tuple(
        (base, r"BraveSoftware\Brave-Browser\Application\brave.exe")
        for base in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")
    ),
    "Chromium": (("LOCALAPPDATA", r"Chromium\Application\chrome.exe"),),
    "Firefox": tuple(
        (base, r"Mozilla Firefox\firefox.exe") for base in ("ProgramFiles", "ProgramFiles(x86)")
    ),
}

DESKTOP_APP = "ChatGPT desktop app"


def firefox_ini_version(folder: Path) -> str | None:
    """Firefox's version from ``application.ini`` in its install folder, without running it."""
    text = _read(folder / "application.ini")
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
        version = parser.get("App", "Version", fallback=None)
    except configparser.Error:
        return None
    return (version or "").strip() or None


def _snap_version(root: Path, snap: str) -> str | None:
    text = _read(_under(root, f"/snap/{snap}/current/meta/snap.yaml"))
    if text is None:
        return None
    m = re.search(r"^version:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    return m.group(1) if m else None


def run_output(argv: list[str], timeout: float | None = None) -> str | None:
    """Run ``argv`` and return its stdout when it exits 0 within ``timeout``, else None.

    The child gets its own session so a wrapper script and everything it started are
    killed together when the timeout passes.
    """
    import signal
    import subprocess

    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=os.name == "posix",
            env={**os.environ, "LC_ALL": "C"},
        )
    except (OSError, ValueError):
        return None
    try:
        out, _ = proc.communicate(timeout=PROBE_TIMEOUT if timeout is None else timeout)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            _safe(lambda: os.killpg(proc.pid, signal.SIGKILL))
        _safe(proc.kill)
        _safe(lambda: proc.wait(timeout=1.0))
        return None
    return out.decode("utf-8", errors="replace") if proc.returncode == 0 else None


def run_version(argv: list[str], timeout: float | None = None) -> str | None:
    """The version token printed by ``argv`` (a ``--version`` call), or None."""
    return _first_version(run_output(argv, timeout))


def _which(cmd: str, env: Mapping[str, str]) -> str | None:
    path = env.get("PATH")
    return shutil.which(cmd, path=path) if path is not None else None


Candidate = tuple[str, str | None, str | None]  # name, executable, version read from a file


def _linux_candidates(root: Path, env: Mapping[str, str]) -> list[Candidate]:
    """Each browser found on Linux, with its version when a file tells it."""
    found: list[Candidate] = []
    for name, spec in _LINUX_BROWSERS.items():
        exe: str | None = None
        for cmd in spec["cmd"]:
            exe = _which(cmd, env)
            if exe:
                break
        if exe is None:
            for fixed in spec["path"]:
                p = _under(root, fixed)
                if p.is_file() and os.access(p, os.X_OK):
                    exe = str(p)
                    break
        version: str | None = None
        if name == "Firefox":
            version = _firefox_linux_version(root, exe)
        for snap in spec["snap"]:
            if version is None:
                version = _snap_version(root, snap)
                if version and exe is None:
                    exe = str(_under(root, f"/snap/bin/{snap}"))
        if exe is None and version is None:
            continue
        found.append((name, exe, version))
    return found


def _firefox_linux_version(root: Path, exe: str | None) -> str | None:
    folders: list[Path] = []
    if exe:  # /usr/bin/firefox is usually a symlink into the install folder
        folders.append(Path(os.path.realpath(exe)).parent)
    folders += [
        _under(root, d)
        for d in ("/usr/lib/firefox", "/usr/lib64/firefox", "/usr/lib/firefox-esr", "/opt/firefox")
    ]
    for folder in folders:
        version = firefox_ini_version(folder)
        if version:
            # Debian's ESR build says 153.7.0 in application.ini but "153.7.0esr" when asked;
            # support needs to know it is the ESR line.
            esr = folder.name.endswith("-esr") and not version.endswith("esr")
            return f"{version}esr" if esr else version
    return None


def _mac_app_version(app: Path) -> str | None:
    import plistlib

    with (app / "Contents" / "Info.plist").open("rb") as fh:
        info = plistlib.load(fh)
    version = info.get("CFBundleShortVersionString") or info.get("CFBundleVersion")
    return str(version) if version else None


def _mac_apps(root: Path, env: Mapping[str, str], bundle: str, name: str) -> Browser | None:
    folders = [_under(root, "/Applications")]
    home = env.get("HOME")
    if home:
        folders.append(Path(home) / "Applications")
    for folder in folders:
        app = folder / bundle
        if app.is_dir():
            return _browser(name=name, version=_safe(partial(_mac_app_version, app)), path=str(app))
    return None


def _windows_browsers(env: Mapping[str, str]) -> list[Browser]:
    found: list[Browser] = []
    for name, places in _WIN_BROWSERS.items():
        for base_var, rel in places:
            base = env.get(base_var)
            if not base:
                continue
            exe = Path(base, *rel.split("\\"))
            if not exe.is_file():
                continue
            if name == "Firefox":
                version = firefox_ini_version(exe.parent)
            else:
                version = _safe(partial(_newest_version_dir, exe.parent))
            found.append(_browser(name=name, version=version, path=str(exe)))
            break
    return found


def _newest_version_dir(folder: Path) -> str | None:
    names = [
        d.name for d in folder.iterdir() if d.is_dir() and re.fullmatch(r"\d+(?:\.\d+)+", d.name)
    ]
    return max(names, key=_version_key) if names else None


def _concurrently(jobs: dict[str, Callable[[], str | None]]) -> dict[str, str | None]:
    """Run slow probes in threads under one deadline; a late probe counts as unknown."""
    if not jobs:
        return {}
    import time
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.monotonic() + PROBE_TIMEOUT + 0.5  # each probe also times itself out
    pool = ThreadPoolExecutor(max_workers=min(8, len(jobs)), thread_name_prefix="probe")
    futures = {key: pool.submit(job) for key, job in jobs.items()}
    results: dict[str, str | None] = {}
    for key, future in futures.items():
        try:
            results[key] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:
            results[key] = None
    pool.shutdown(wait=False, cancel_futures=True)
    return results


# --- default browser -------------------------------------------------------------------------

_BROWSER_IDS = (  # substring of a desktop id, bundle id or ProgId → display name
    ("chromium", "Chromium"),
    ("chrome", "Chrome"),
    ("msedge", "Edge"),
    ("edge", "Edge"),
    ("firefox", "Firefox"),
    ("mozilla", "Firefox"),
    ("safari", "Safari"),
    ("brave", "Brave"),
    ("opera", "Opera"),
    ("vivaldi", "Vivaldi"),
    ("epiphany", "GNOME Web"),
)


def browser_from_id(ident: str) -> str:
    """``google-chrome.desktop`` / ``com.google.chrome`` / ``ChromeHTML`` → ``Chrome``."""
    low = ident.lower()
    for needle, name in _BROWSER_IDS:
        if needle in low:
            return name
    return ident.removesuffix(".desktop")


def default_from_mimeapps(paths: Iterable[Path]) -> str | None:
    """The desktop id registered for https/http/html in the first mimeapps.list that has one."""
    keys = ("x-scheme-handler/https", "x-scheme-handler/http", "text/html")
    for path in paths:
        text = _read(path)
        if text is None:
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if not parser.has_section("Default Applications"):
            continue
        section = parser["Default Applications"]
        for key in keys:
            value = section.get(key, "")
            first = next((v.strip() for v in value.split(";") if v.strip()), None)
            if first:
                return first
    return None


def _mimeapps_paths(root: Path, env: Mapping[str, str]) -> list[Path]:
    desktops = [d.lower() for d in env.get("XDG_CURRENT_DESKTOP", "").split(":") if d]
    names = [f"{d}-mimeapps.list" for d in desktops] + ["mimeapps.list"]
    home = env.get("HOME")
    config_home = env.get("XDG_CONFIG_HOME") or (str(Path(home, ".config")) if home else "")
    folders: list[Path] = []
    if config_home:
        folders.append(Path(config_home))
    for d in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":"):
        if d:
            folders.append(_under(root, d))
    if home:
        folders.append(Path(home, ".local/share/applications"))
    for d in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        if d:
            folders.append(_under(root, d) / "applications")
    return [f / n for f in folders for n in names]


def _xdg_settings(env: Mapping[str, str]) -> Callable[[], str | None] | None:
    # Without a desktop session there is no default browser to ask for, and xdg-settings
    # (a shell script probing every desktop) is the slowest probe we have.
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None
    exe = _which("xdg-settings", env)
    if exe is None:
        return None

    def run() -> str | None:
        out = (run_output([exe, "get", "default-web-browser"]) or "").strip()
        return out.splitlines()[0] if out else None

    return run


def _macos_default(env: Mapping[str, str]) -> str | None:
    import plistlib

    home = env.get("HOME")
    if not home:
        return None
    plist = Path(
        home, "Library/Preferences/com.apple.LaunchServices/com.apple.launchservices.secure.plist"
    )
    if not plist.exists():
        return "Safari"  # nobody ever changed it
    with plist.open("rb") as fh:
        handlers = plistlib.load(fh).get("LSHandlers", [])
    for scheme in ("https", "http"):
        for h in handlers:
            if isinstance(h, dict) and h.get("LSHandlerURLScheme") == scheme:
                bundle = h.get("LSHandlerRoleAll")
                if isinstance(bundle, str) and bundle:
                    return browser_from_id(bundle)
    return "Safari"


def _windows_default() -> str | None:
    import winreg  # type: ignore[import-not-found,unused-ignore]

    key = r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\https\UserChoice"
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as k:  # type: ignore[attr-defined,unused-ignore]
        prog_id, _kind = winreg.QueryValueEx(k, "ProgId")  # type: ignore[attr-defined,unused-ignore]
    return browser_from_id(str(prog_id)) if prog_id else None


# --- the ChatGPT desktop app -----------------------------------------------------------------


def _desktop_app(system: str, root: Path, env: Mapping[str, str]) -> Browser | None:
    if system == "Darwin":
        return _mac_apps(root, env, "ChatGPT.app", DESKTOP_APP)
    if system != "Windows":
        return None
    local = env.get("LOCALAPPDATA")
    if local:
        exe = Path(local, "Programs", "ChatGPT", "ChatGPT.exe")
        if exe.is_file():
            return _browser(name=DESKTOP_APP, path=str(exe))
        packages = Path(local, "Packages")
        hits = sorted(_safe(lambda: list(packages.glob("OpenAI.ChatGPT*"))) or [])
        if hits:
            return _browser(name=DESKTOP_APP, version=_store_app_version(env), path=str(hits[0]))
    return None


def _store_app_version(env: Mapping[str, str]) -> str | None:
    # WindowsApps is usually not listable; when it is, the folder name carries the version.
    base = env.get("ProgramFiles")
    if not base:
        return None
    apps = _safe(lambda: list(Path(base, "WindowsApps").glob("OpenAI.ChatGPT*"))) or []
    names = [p.name for p in apps]
    versions = [m.group(1) for n in names if (m := re.search(r"_(\d+(?:\.\d+)+)_", n))]
    return max(versions, key=_version_key) if versions else None


# --- proxy and VPN hints ---------------------------------------------------------------------


def proxy_variables(env: Mapping[str, str]) -> list[str]:
    """Names (never values) of the proxy variables that are set and non-empty."""
    wanted = set(PROXY_VARS)
    return sorted(k for k, v in env.items() if k.upper() in wanted and v.strip())


def _looks_vpn(name: str, prefixes: tuple[str, ...]) -> bool:
    return name.lower().startswith(prefixes)


def _linux_if_up(folder: Path) -> bool:
    operstate = (_read(folder / "operstate") or "").strip().lower()
    flags_text = (_read(folder / "flags") or "").strip()
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
        net = _under(root, "/sys/class/net")
        return sorted(
            p.name for p in net.iterdir() if _looks_vpn(p.name, _VPN_PREFIXES) and _linux_if_up(p)
        )
    prefixes = _VPN_PREFIXES_MACOS if system == "Darwin" else _VPN_PREFIXES
    # Elsewhere we can only see that the interface exists, not that it is up.
    return sorted({name for _i, name in socket.if_nameindex() if _looks_vpn(name, prefixes)})


# --- putting it together ---------------------------------------------------------------------


def installed_browsers(
    system: str, root: Path = Path("/"), env: Mapping[str, str] | None = None
) -> list[Browser]:
    """Browsers found on this machine, with versions when they can be learnt quickly."""
    env = os.environ if env is None else env
    browsers, _default = _browsers_and_default(system, root, env)
    return browsers


def _browsers_and_default(
    system: str, root: Path, env: Mapping[str, str]
) -> tuple[list[Browser], str | None]:
    if system == "Darwin":
        apps = [
            _safe(partial(_mac_apps, root, env, bundle, name)) for name, bundle in _MAC_APPS.items()
        ]
        return [a for a in apps if a is not None], _safe(lambda: _macos_default(env))
    if system == "Windows":
        return _safe(lambda: _windows_browsers(env)) or [], _safe(_windows_default)
    candidates = _safe(lambda: _linux_candidates(root, env)) or []
    jobs: dict[str, Callable[[], str | None]] = {}
    for name, exe, version in candidates:
        if version is None and exe is not None:
            jobs[name] = partial(run_version, [exe, "--version"])
    default_id = _safe(lambda: default_from_mimeapps(_mimeapps_paths(root, env)))
    if default_id is None:
        xdg = _safe(lambda: _xdg_settings(env))
        if xdg is not None:
            jobs["\0default"] = xdg
    results = _concurrently(jobs)
    browsers = [_browser(name=n, version=v or results.get(n), path=e) for n, e, v in candidates]
    default_id = default_id or results.get("\0default")
    return browsers, browser_from_id(default_id) if default_id else None


def collect(
    env: Mapping[str, str] | None = None, root: Path = Path("/"), system: str | None = None
) -> Environment:
    """Everything we can learn about this machine in well under a second; never raises."""
    env = dict(os.environ) if env is None else env
    if system is None:
        system = _safe(platform.system) or ""
    os_name, os_version = _safe(partial(detect_os, system, root)) or (None, None)
    zone = _safe(partial(detect_timezone, env))
    browsers, default = _safe(partial(_browsers_and_default, system, root, env)) or ([], None)
    return _environment(
        os_name=os_name,
        os_version=os_version,
        arch=_safe(lambda: normalize_arch(platform.machine())),
        timezone=zone,
        utc_offset=utc_offset(zone),
        locale=_safe(partial(detect_locale, env)),
        browsers=browsers,
        default_browser=default,
        desktop_app=_safe(partial(_desktop_app, system, root, env)),
        proxy_vars=_safe(partial(proxy_variables, env)) or [],
        vpn_interfaces=_safe(partial(vpn_interfaces, system, root)) or [],
        python=_safe(platform.python_version),
    )


# --- what the user types ---------------------------------------------------------------------

_CANONICAL = {
    "chrome": "Chrome",
    "google chrome": "Chrome",
    "chromium": "Chromium",
    "edge": "Edge",
    "microsoft edge": "Edge",
    "firefox": "Firefox",
    "mozilla firefox": "Firefox",
    "safari": "Safari",
    "brave": "Brave",
    "brave browser": "Brave",
    "chatgpt desktop app": DESKTOP_APP,
    "chatgpt desktop": DESKTOP_APP,
    "chatgpt app": DESKTOP_APP,
}
_TRAILING_GROUP = re.compile(r"\s*\(([^()]*)\)\s*$")
# 133, 131.0.6778.85, 133.0b5, 128.5.0esr; not "64-bit" (a qualifier, not a version)
_VERSION_PATTERN = r"\d+(?:\.\d+)*(?:[-.]?(?:a|b|rc|esr|alpha|beta|dev|pre)\d*(?:\.\d+)*)?"
_LABEL = r"(?:\bversion\s*|\bv)?"
_TRAILING_VERSION = re.compile(
    rf"^(?P<name>.*?)[\s/,:;-]*{_LABEL}(?P<version>{_VERSION_PATTERN})$", re.IGNORECASE
)
_VERSION_ALONE = re.compile(rf"{_LABEL}{_VERSION_PATTERN}", re.IGNORECASE)


def parse_browser(text: str) -> Browser:
    """``"Chrome 131.0.6778.85"`` → Browser(name="Chrome", version="131.0.6778.85").

    The version is the trailing version-looking token; bracketed qualifiers after it, as
    Chrome's About page shows them ("(Official Build) (64-bit)"), are dropped. Without a
    version the answer is kept as typed.
    """
    original = clean_line(text)
    if len(original) > 200:  # no browser name is this long; don't regex a pasted essay
        return _browser(name=original)
    rest = original
    while (group := _TRAILING_GROUP.search(rest)) is not None:
        rest = rest[: group.start()]
        if _VERSION_ALONE.fullmatch(group.group(1).strip()):  # "Edge (131.0.2903.86)"
            rest = f"{rest} {group.group(1).strip()}"
            break
    m = _TRAILING_VERSION.match(rest.strip())
    name = m.group("name").strip() if m else ""
    if m is None or not name:
        return _browser(name=_CANONICAL.get(original.lower(), original))
    return _browser(name=_CANONICAL.get(name.lower(), name), version=m.group("version"))
