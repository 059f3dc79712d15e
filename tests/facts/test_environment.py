"""Environment detection against fake machines built in tmp_path, and once for real."""

from __future__ import annotations

import os
import platform
import plistlib
import time
from pathlib import Path

import pytest
from conftest import HANG_GUARD, require_tool

from escalate.facts import browsers, environment
from escalate.facts.browsers import (
    DESKTOP_APP,
    browser_from_id,
    default_from_mimeapps,
    firefox_ini_version,
    parse_browser,
)
from escalate.facts.environment import (
    collect,
    detect_locale,
    detect_os,
    detect_timezone,
    format_offset,
    normalize_arch,
    parse_os_release,
    proxy_variables,
    utc_offset,
    vpn_interfaces,
)
from escalate.facts.probes import PROBE_TIMEOUT, run_version
from escalate.model import Browser, Environment

DEBIAN = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
# a comment
"""


def write(path: Path, text: str | bytes, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return path


def script(path: Path, body: str) -> Path:
    return write(path, f"#!/bin/sh\n{body}\n", 0o755)


def firefox_install(root: Path, version: str, marker: Path) -> Path:
    """A Firefox install folder whose binary leaves a marker if anyone runs it."""
    folder = root / "usr/lib/firefox"
    write(folder / "application.ini", f"[App]\nVendor=Mozilla\nName=Firefox\nVersion={version}\n"
                                      "BuildID=20241125\n\n[Gecko]\nMinVersion=1\n")
    return script(folder / "firefox", f"touch {marker}\necho Mozilla Firefox 1.0")


# --- pure parsers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "version"),
    [
        ("Firefox 133", "Firefox", "133"),
        ("Chrome 131.0.6778.85", "Chrome", "131.0.6778.85"),
        ("ChatGPT desktop app 1.2025.1", DESKTOP_APP, "1.2025.1"),
        ("Safari", "Safari", None),
        ("safari", "Safari", None),
        ("Chrome Version 131.0.6778.86 (Official Build) (64-bit)", "Chrome", "131.0.6778.86"),
        ("Microsoft Edge (131.0.2903.86)", "Edge", "131.0.2903.86"),
        ("Firefox 128.5.0esr", "Firefox", "128.5.0esr"),
        ("Firefox 134.0b9", "Firefox", "134.0b9"),
        ("Brave v1.73.91", "Brave", "1.73.91"),
        ("Chrome/131.0.0.0", "Chrome", "131.0.0.0"),
        ("Opera GX", "Opera GX", None),
        ("Firefox 64-bit", "Firefox 64-bit", None),
        ("Safari (latest)", "Safari (latest)", None),
        ("131", "131", None),
        ("  Vivaldi 7.0\x1b[31m  ", "Vivaldi", "7.0"),
    ],
)
def test_parse_browser(text: str, name: str, version: str | None) -> None:
    assert parse_browser(text) == Browser(name=name, version=version)


def test_parse_browser_long_paste_is_fast_and_kept() -> None:
    text = "a" + " " * 100_000 + "b"
    start = time.perf_counter()
    result = parse_browser(text)
    # Backtracking on this paste would take hours: the bound guards against that hang only.
    # The parser's speed is the bench's "100 kB paste" case.
    assert time.perf_counter() - start < HANG_GUARD
    assert result.version is None


def test_parse_os_release_quotes_and_comments() -> None:
    info = parse_os_release(DEBIAN + "EMPTY=\nBROKEN LINE\nQ='single'\n")
    assert info["NAME"] == "Debian GNU/Linux"
    assert info["VERSION"] == "12 (bookworm)"
    assert info["ID"] == "debian"
    assert info["Q"] == "single"
    assert info["EMPTY"] == ""
    assert not any(k.startswith("#") for k in info)


@pytest.mark.parametrize(
    ("machine", "arch"),
    [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("aarch64", "arm64"), ("arm64", "arm64"),
     ("i686", "x86"), ("riscv64", "riscv64"), ("", None)],
)
def test_normalize_arch(machine: str, arch: str | None) -> None:
    assert normalize_arch(machine) == arch


@pytest.mark.parametrize(("seconds", "text"),
                         [(19800, "+05:30"), (0, "+00:00"), (-12600, "-03:30"), (-36000, "-10:00")])
def test_format_offset(seconds: int, text: str) -> None:
    assert format_offset(seconds) == text


@pytest.mark.parametrize(
    ("ident", "name"),
    [("google-chrome.desktop", "Chrome"), ("chromium_chromium.desktop", "Chromium"),
     ("firefox_firefox.desktop", "Firefox"), ("com.apple.safari", "Safari"),
     ("MSEdgeHTM", "Edge"), ("FirefoxURL-308046B0AF4A39CB", "Firefox"),
     ("brave-browser.desktop", "Brave"), ("org.kde.falkon.desktop", "org.kde.falkon")],
)
def test_browser_from_id(ident: str, name: str) -> None:
    assert browser_from_id(ident) == name


# --- OS, locale, timezone -------------------------------------------------------------------


def test_linux_os_from_os_release(tmp_path: Path) -> None:
    write(tmp_path / "etc/os-release", DEBIAN)
    assert detect_os("Linux", tmp_path) == ("Debian GNU/Linux", "12 (bookworm)")


def test_linux_os_falls_back_to_usr_lib_and_pretty_name(tmp_path: Path) -> None:
    write(tmp_path / "usr/lib/os-release", 'PRETTY_NAME="Arch Linux"\nBUILD_ID=rolling\n')
    assert detect_os("Linux", tmp_path) == ("Arch Linux", "rolling")


def test_linux_os_unreadable_release_is_plain_linux(tmp_path: Path) -> None:
    (tmp_path / "etc/os-release").mkdir(parents=True)  # reading a directory raises
    name, _version = detect_os("Linux", tmp_path)
    assert name == "Linux"


def test_macos_version_from_system_plist(tmp_path: Path) -> None:
    plist = tmp_path / "System/Library/CoreServices/SystemVersion.plist"
    write(plist, plistlib.dumps({"ProductName": "macOS", "ProductVersion": "15.1"}))
    assert detect_os("Darwin", tmp_path) == ("macOS", "15.1")


def test_locale_precedence() -> None:
    assert detect_locale({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8",
                          "LC_ALL": "ja_JP.UTF-8"}) == "ja_JP.UTF-8"
    assert detect_locale({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}) == "fr_FR.UTF-8"
    assert detect_locale({"LANG": "de_DE.UTF-8", "LC_ALL": ""}) == "de_DE.UTF-8"


@pytest.mark.parametrize("tz", ["Asia/Kolkata", ":Asia/Kolkata"])
def test_timezone_from_tz_name(tz: str) -> None:
    assert detect_timezone({"TZ": tz}) == "Asia/Kolkata"
    assert utc_offset("Asia/Kolkata") == "+05:30"


def test_timezone_from_tz_path() -> None:
    zonefile = Path("/usr/share/zoneinfo/America/St_Johns")
    if not zonefile.exists():
        pytest.skip("no system zoneinfo database")
    assert detect_timezone({"TZ": str(zonefile)}) == "America/St_Johns"


def test_timezone_not_a_name_falls_back_to_system() -> None:
    import tzlocal

    assert detect_timezone({"TZ": "<+0330>-3:30"}) == tzlocal.get_localzone_name()
    assert detect_timezone({}) == tzlocal.get_localzone_name()


def test_utc_offset_follows_dst() -> None:
    from datetime import UTC, datetime

    assert utc_offset("America/New_York", datetime(2025, 1, 15, tzinfo=UTC)) == "-05:00"
    assert utc_offset("America/New_York", datetime(2025, 7, 15, tzinfo=UTC)) == "-04:00"
    assert utc_offset("Not/AZone") is None


# --- proxies and VPNs -----------------------------------------------------------------------


def test_proxy_names_only() -> None:
    env = {"https_proxy": "http://user:hunter2@proxy.corp:3128", "NO_PROXY": "localhost",
           "HTTP_PROXY": "  ", "PATH": "/bin", "SOME_PROXY_THING": "x"}
    assert proxy_variables(env) == ["NO_PROXY", "https_proxy"]
    dumped = collect(env=env, root=Path("/nonexistent"), system="Linux").model_dump_json()
    assert "hunter2" not in dumped
    assert "proxy.corp" not in dumped


def fake_iface(root: Path, name: str, operstate: str | None, flags: str | None) -> None:
    folder = root / "sys/class/net" / name
    folder.mkdir(parents=True)
    if operstate is not None:
        write(folder / "operstate", operstate + "\n")
    if flags is not None:
        write(folder / "flags", flags + "\n")


def test_vpn_interfaces_up_only(tmp_path: Path) -> None:
    fake_iface(tmp_path, "wg0", "unknown", "0x1091")      # WireGuard: no carrier, IFF_UP set
    fake_iface(tmp_path, "tun0", "down", "0x1091")        # OpenVPN tun with no client
    fake_iface(tmp_path, "tailscale0", "unknown", "0x1090")  # administratively down
    fake_iface(tmp_path, "nordlynx", "up", None)
    fake_iface(tmp_path, "eth0", "up", "0x1003")          # not a VPN
    fake_iface(tmp_path, "ppp0", None, None)              # nothing readable: not claimed up
    assert vpn_interfaces("Linux", tmp_path) == ["nordlynx", "wg0"]


# --- browsers -------------------------------------------------------------------------------


def test_firefox_version_read_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    exe = firefox_install(tmp_path / "root", "133.0.3", marker)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "firefox").symlink_to(exe)
    env = collect(env={"PATH": str(bindir)}, root=tmp_path / "root", system="Linux")
    expected = Browser(name="Firefox", version="133.0.3", path=str(bindir / "firefox"))
    assert env.browsers == [expected]
    assert not marker.exists()


def test_firefox_esr_folder_marks_the_version(tmp_path: Path) -> None:
    write(tmp_path / "usr/lib/firefox-esr/application.ini", "[App]\nVersion=128.5.0\n")
    script(tmp_path / "usr/lib/firefox-esr/firefox-esr", "exit 1")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/firefox-esr").symlink_to(tmp_path / "usr/lib/firefox-esr/firefox-esr")
    env = collect(env={"PATH": str(tmp_path / "bin")}, root=tmp_path, system="Linux")
    assert [(b.name, b.version) for b in env.browsers] == [("Firefox", "128.5.0esr")]


def test_firefox_ini_broken_is_unknown(tmp_path: Path) -> None:
    write(tmp_path / "application.ini", "Version=1\n[App\n")
    assert firefox_ini_version(tmp_path) is None
    assert firefox_ini_version(tmp_path / "missing") is None


def test_chromium_version_by_running_it(tmp_path: Path) -> None:
    script(tmp_path / "bin/chromium",
           'echo "Chromium 131.0.6778.85 built on Debian 12.8, running on Debian 12.8"')
    env = collect(env={"PATH": str(tmp_path / "bin")}, root=tmp_path, system="Linux")
    assert env.browsers == [
        Browser(name="Chromium", version="131.0.6778.85", path=str(tmp_path / "bin/chromium"))
    ]


def test_snap_version_from_snap_yaml(tmp_path: Path) -> None:
    write(tmp_path / "snap/chromium/current/meta/snap.yaml",
          "name: chromium\nversion: '131.0.6778.85'\nsummary: Chromium web browser\n")
    env = collect(env={"PATH": ""}, root=tmp_path, system="Linux")
    assert [(b.name, b.version) for b in env.browsers] == [("Chromium", "131.0.6778.85")]


def test_hanging_browser_is_cut_off(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # The grandchild proves the whole process group goes, not only the wrapper script.
    script(tmp_path / "bin/google-chrome", f"/bin/sleep 30 &\necho $! > {pidfile}\nwait")
    script(tmp_path / "bin/brave-browser", 'echo "Brave Browser 131.1.73.91"')
    start = time.perf_counter()
    env = collect(env={"PATH": str(tmp_path / "bin")}, root=tmp_path, system="Linux")
    elapsed = time.perf_counter() - start
    # The probe is cut off at PROBE_TIMEOUT (the sleep would last 30 s); beyond that, a guard
    # against a hang only.
    assert elapsed < PROBE_TIMEOUT + HANG_GUARD
    by_name = {b.name: b.version for b in env.browsers}
    assert by_name == {"Chrome": None, "Brave": "131.1.73.91"}
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + HANG_GUARD  # a wait for the kill, not a speed check
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.02)
    assert not _alive(pid), "the hanging probe's child was left running"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie waiting for init to reap it is dead


def test_run_version_missing_and_silent(tmp_path: Path) -> None:
    assert run_version([str(tmp_path / "nope"), "--version"]) is None
    silent = script(tmp_path / "silent", "exit 3")
    assert run_version([str(silent), "--version"]) is None


def test_default_browser_from_mimeapps(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home / ".config/mimeapps.list",
          "[Added Associations]\ntext/html=chromium.desktop;\n\n"
          "[Default Applications]\ntext/html=chromium.desktop\n"
          "x-scheme-handler/https=firefox_firefox.desktop;chromium.desktop;\n")
    env = collect(env={"PATH": "", "HOME": str(home)}, root=tmp_path, system="Linux")
    assert env.default_browser == "Firefox"


def test_default_browser_system_mimeapps_under_root(tmp_path: Path) -> None:
    write(tmp_path / "usr/share/applications/mimeapps.list",
          "[Default Applications]\nx-scheme-handler/http=brave-browser.desktop\n")
    assert default_from_mimeapps([tmp_path / "missing.list",
                                  tmp_path / "usr/share/applications/mimeapps.list"]) == \
        "brave-browser.desktop"
    env = collect(env={"PATH": ""}, root=tmp_path, system="Linux")
    assert env.default_browser == "Brave"


def test_default_browser_from_xdg_settings(tmp_path: Path) -> None:
    script(tmp_path / "bin/xdg-settings",
           '[ "$1 $2" = "get default-web-browser" ] && echo google-chrome.desktop')
    desktop = {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path / "h"), "DISPLAY": ":0"}
    env = collect(env=desktop, root=tmp_path, system="Linux")
    assert env.default_browser == "Chrome"
    # No desktop session, no default browser: the slow script is not even started.
    headless = collect(env={k: v for k, v in desktop.items() if k != "DISPLAY"},
                       root=tmp_path, system="Linux")
    assert headless.default_browser is None


def info_plist(app: Path, version: str) -> None:
    write(app / "Contents/Info.plist",
          plistlib.dumps({"CFBundleShortVersionString": version, "CFBundleVersion": "x"},
                         fmt=plistlib.FMT_BINARY))


def test_macos_apps_and_default(tmp_path: Path) -> None:
    info_plist(tmp_path / "Applications/Google Chrome.app", "131.0.6778.86")
    info_plist(tmp_path / "Applications/Safari.app", "18.1")
    info_plist(tmp_path / "Applications/ChatGPT.app", "1.2025.1")
    (tmp_path / "Applications/Firefox.app").mkdir()  # no Info.plist: found, version unknown
    home = tmp_path / "Users/me"
    write(home / "Library/Preferences/com.apple.LaunchServices/"
                 "com.apple.launchservices.secure.plist",
          plistlib.dumps({"LSHandlers": [
              {"LSHandlerContentType": "public.html", "LSHandlerRoleAll": "com.apple.safari"},
              {"LSHandlerURLScheme": "https", "LSHandlerRoleAll": "org.mozilla.firefox"},
          ]}))
    env = collect(env={"HOME": str(home)}, root=tmp_path, system="Darwin")
    assert [(b.name, b.version) for b in env.browsers] == [
        ("Chrome", "131.0.6778.86"), ("Firefox", None), ("Safari", "18.1")]
    assert env.desktop_app is not None
    assert (env.desktop_app.name, env.desktop_app.version) == (DESKTOP_APP, "1.2025.1")
    assert env.default_browser == "Firefox"


def test_macos_default_is_safari_when_never_changed(tmp_path: Path) -> None:
    env = collect(env={"HOME": str(tmp_path)}, root=tmp_path, system="Darwin")
    assert env.default_browser == "Safari"
    assert env.browsers == []
    assert env.desktop_app is None


def test_windows_browsers_from_version_folders(tmp_path: Path) -> None:
    pf, pf86, local = tmp_path / "pf", tmp_path / "pf86", tmp_path / "local"
    app = pf / "Google/Chrome/Application"
    write(app / "chrome.exe", b"MZ")
    for v in ("130.0.6723.117", "131.0.6778.86"):
        (app / v).mkdir()
    (app / "SetupMetrics").mkdir()
    write(pf86 / "Microsoft/Edge/Application/msedge.exe", b"MZ")
    write(pf / "Mozilla Firefox/firefox.exe", b"MZ")
    write(pf / "Mozilla Firefox/application.ini", "[App]\nVersion=133.0\n")
    (local / "Packages/OpenAI.ChatGPT-Desktop_2p2nqsd0c76g0").mkdir(parents=True)
    env = collect(env={"ProgramFiles": str(pf), "ProgramFiles(x86)": str(pf86),
                       "LOCALAPPDATA": str(local)}, root=tmp_path, system="Windows")
    assert [(b.name, b.version) for b in env.browsers] == [
        ("Chrome", "131.0.6778.86"), ("Edge", None), ("Firefox", "133.0")]
    assert env.desktop_app is not None
    assert env.desktop_app.name == DESKTOP_APP
    assert env.os_name == "Windows"


# --- the whole thing ------------------------------------------------------------------------


def test_collect_fake_linux_machine(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "etc/os-release", DEBIAN)
    firefox_install(root, "128.5.0esr", tmp_path / "ran")
    fake_iface(root, "wg0", "unknown", "0x1091")
    script(tmp_path / "bin/chromium", 'echo "Chromium 131.0.6778.85"')
    env = collect(env={"PATH": str(tmp_path / "bin"), "TZ": "Asia/Kolkata",
                       "LANG": "hi_IN.UTF-8", "ALL_PROXY": "socks5://127.0.0.1:1080"},
                  root=root, system="Linux")
    assert (env.os_name, env.os_version) == ("Debian GNU/Linux", "12 (bookworm)")
    assert (env.timezone, env.utc_offset, env.locale) == ("Asia/Kolkata", "+05:30", "hi_IN.UTF-8")
    assert [(b.name, b.version) for b in env.browsers] == [
        ("Chromium", "131.0.6778.85"), ("Firefox", "128.5.0esr")]
    assert env.proxy_vars == ["ALL_PROXY"]
    assert env.vpn_interfaces == ["wg0"]
    assert env.desktop_app is None
    assert Environment.model_validate_json(env.model_dump_json()) == env


def test_collect_survives_a_raising_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object) -> None:
        raise RuntimeError("probe bug")

    monkeypatch.setattr(environment, "proxy_variables", boom)
    monkeypatch.setattr(environment, "vpn_interfaces", boom)
    monkeypatch.setattr(browsers, "_linux_candidates", boom)
    monkeypatch.setattr(platform, "machine", boom)
    (tmp_path / "etc/os-release").mkdir(parents=True)
    (tmp_path / "usr/lib/firefox/application.ini").mkdir(parents=True)
    env = collect(env={"PATH": "", "TZ": "Europe/Paris", "https_proxy": "x"},
                  root=tmp_path, system="Linux")
    assert env.proxy_vars == [] and env.vpn_interfaces == [] and env.browsers == []
    assert env.arch is None
    assert env.timezone == "Europe/Paris"
    assert env.os_name == "Linux"


def _version_output(cmd: str) -> str:
    import re
    import subprocess

    out = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"\d+(?:\.\d+)+\w*", out)
    assert m, out
    return m.group(0)


@pytest.mark.e2e
def test_real_chromium_is_found_with_its_version() -> None:
    require_tool("chromium")
    found = {b.name: b for b in collect().browsers}
    assert "Chromium" in found
    assert found["Chromium"].version == _version_output("chromium")


@pytest.mark.e2e
def test_real_firefox_esr_version_matches_without_running_it() -> None:
    require_tool("firefox-esr")
    found = {b.name: b for b in collect().browsers}
    assert "Firefox" in found
    assert found["Firefox"].version == _version_output("firefox-esr")


def test_collect_real_machine_is_typed() -> None:
    # How long collect() takes is the bench's "environment facts" case.
    env = collect()
    assert isinstance(env, Environment)
    assert env.os_name
    assert env.arch == normalize_arch(platform.machine())
    assert env.python and env.python.count(".") == 2
    assert env.timezone is None or "/" in env.timezone or env.timezone == "UTC"
    assert env.utc_offset is not None and env.utc_offset[0] in "+-" and len(env.utc_offset) == 6
    assert all(isinstance(b, Browser) and b.name for b in env.browsers)
    assert all(isinstance(v, str) for v in env.proxy_vars + env.vpn_interfaces)
    if os.uname().sysname == "Linux":
        release = Path("/etc/os-release")
        if release.exists():
            assert env.os_name == parse_os_release(release.read_text()).get("NAME")

