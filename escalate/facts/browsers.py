"""Installed browsers and their versions, the default browser, and the ChatGPT desktop app.

Versions are read from files when the browser ships one (Firefox ``application.ini``, snap
``snap.yaml``, macOS ``Info.plist``, Windows version folders), because starting a browser is
the slowest thing we could do; the rest run ``--version`` concurrently with a timeout.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.facts.probes import (
    concurrently,
    read_text,
    run_output,
    run_version,
    safe,
    under,
    version_key,
    which,
)
from escalate.text import clean_line

if TYPE_CHECKING:
    from escalate.model import Browser


# The model is imported on first use, not at import (measured in `nox -s bench`): collect()
# starts in a thread while the main thread imports pydantic, and the probes should not
# wait for that import lock.
def _browser(**fields: Any) -> Browser:
    from escalate.model import Browser

    return Browser(**fields)


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
    text = read_text(folder / "application.ini")
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
    text = read_text(under(root, f"/snap/{snap}/current/meta/snap.yaml"))
    if text is None:
        return None
    m = re.search(r"^version:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    return m.group(1) if m else None


Candidate = tuple[str, str | None, str | None]  # name, executable, version read from a file


def _linux_candidates(root: Path, env: Mapping[str, str]) -> list[Candidate]:
    """Each browser found on Linux, with its version when a file tells it."""
    found: list[Candidate] = []
    for name, spec in _LINUX_BROWSERS.items():
        exe: str | None = None
        for cmd in spec["cmd"]:
            exe = which(cmd, env)
            if exe:
                break
        if exe is None:
            for fixed in spec["path"]:
                p = under(root, fixed)
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
                    exe = str(under(root, f"/snap/bin/{snap}"))
        if exe is None and version is None:
            continue
        found.append((name, exe, version))
    return found


def _firefox_linux_version(root: Path, exe: str | None) -> str | None:
    folders: list[Path] = []
    if exe:  # /usr/bin/firefox is usually a symlink into the install folder
        folders.append(Path(os.path.realpath(exe)).parent)
    folders += [
        under(root, d)
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
    folders = [under(root, "/Applications")]
    home = env.get("HOME")
    if home:
        folders.append(Path(home) / "Applications")
    for folder in folders:
        app = folder / bundle
        if app.is_dir():
            return _browser(name=name, version=safe(partial(_mac_app_version, app)), path=str(app))
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
                version = safe(partial(_newest_version_dir, exe.parent))
            found.append(_browser(name=name, version=version, path=str(exe)))
            break
    return found


def _newest_version_dir(folder: Path) -> str | None:
    names = [
        d.name for d in folder.iterdir() if d.is_dir() and re.fullmatch(r"\d+(?:\.\d+)+", d.name)
    ]
    return max(names, key=version_key) if names else None


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
        text = read_text(path)
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
            folders.append(under(root, d))
    if home:
        folders.append(Path(home, ".local/share/applications"))
    for d in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        if d:
            folders.append(under(root, d) / "applications")
    return [f / n for f in folders for n in names]


def _xdg_settings(env: Mapping[str, str]) -> Callable[[], str | None] | None:
    # Without a desktop session there is no default browser to ask for, and xdg-settings
    # (a shell script probing every desktop) is the slowest probe we have.
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None
    exe = which("xdg-settings", env)
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


def desktop_app(system: str, root: Path, env: Mapping[str, str]) -> Browser | None:
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
        hits = sorted(safe(lambda: list(packages.glob("OpenAI.ChatGPT*"))) or [])
        if hits:
            return _browser(name=DESKTOP_APP, version=_store_app_version(env), path=str(hits[0]))
    return None


def _store_app_version(env: Mapping[str, str]) -> str | None:
    # WindowsApps is usually not listable; when it is, the folder name carries the version.
    base = env.get("ProgramFiles")
    if not base:
        return None
    apps = safe(lambda: list(Path(base, "WindowsApps").glob("OpenAI.ChatGPT*"))) or []
    names = [p.name for p in apps]
    versions = [m.group(1) for n in names if (m := re.search(r"_(\d+(?:\.\d+)+)_", n))]
    return max(versions, key=version_key) if versions else None


# --- putting it together ---------------------------------------------------------------------


def browsers_and_default(
    system: str, root: Path, env: Mapping[str, str]
) -> tuple[list[Browser], str | None]:
    if system == "Darwin":
        apps = [
            safe(partial(_mac_apps, root, env, bundle, name)) for name, bundle in _MAC_APPS.items()
        ]
        return [a for a in apps if a is not None], safe(lambda: _macos_default(env))
    if system == "Windows":
        return safe(lambda: _windows_browsers(env)) or [], safe(_windows_default)
    candidates = safe(lambda: _linux_candidates(root, env)) or []
    jobs: dict[str, Callable[[], str | None]] = {}
    for name, exe, version in candidates:
        if version is None and exe is not None:
            jobs[name] = partial(run_version, [exe, "--version"])
    default_id = safe(lambda: default_from_mimeapps(_mimeapps_paths(root, env)))
    if default_id is None:
        xdg = safe(lambda: _xdg_settings(env))
        if xdg is not None:
            jobs["\0default"] = xdg
    results = concurrently(jobs)
    browsers = [_browser(name=n, version=v or results.get(n), path=e) for n, e, v in candidates]
    default_id = default_id or results.get("\0default")
    return browsers, browser_from_id(default_id) if default_id else None


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
