"""What a User-Agent string or a HAR's ``creator`` says about the browser and the device.

A HAR file carries the browser that recorded it; that browser, with its version, is the
best default for "which browser", better than whatever this machine has installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from escalate.model import Surface

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", iOS browsers say
# "Safari" with their own token in front.
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+(?:\.\d+)*)"),
    ("Opera", r"(?:OPR|Opera)/(\d+(?:\.\d+)*)"),
    ("Brave", r"Brave/(\d+(?:\.\d+)*)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+(?:\.\d+)*)"),
    ("Chrome", r"(?:Chrome|CriOS)/(\d+(?:\.\d+)*)"),
    ("Safari", r"Version/(\d+(?:\.\d+)*).*Safari/"),
)
_CHATGPT_APP = re.compile(r"ChatGPT/(\d+(?:\.\d+)*)", re.IGNORECASE)
_CREATOR_NAMES = {
    "firefox": "Firefox",
    "microsoft edge": "Edge",
    "chrome": "Chrome",
    "chromium": "Chromium",
}
MAX_LENGTH = 1_000  # no real User-Agent is longer; a longer one is not read


@dataclass(frozen=True)
class Client:
    """The browser (or app) and device a request came from; unknown parts are None."""

    name: str | None = None
    version: str | None = None
    surface: Surface | None = None
    os_name: str | None = None

    @property
    def display(self) -> str | None:
        """``"Firefox 153.0"``, or None when the browser is unknown."""
        if self.name is None:
            return None
        return f"{self.name} {self.version}" if self.version else self.name


def parse_user_agent(user_agent: str) -> Client:
    """Browser, version and device of a User-Agent header value."""
    ua = user_agent[:MAX_LENGTH]
    surface, os_name = _device(ua)
    if m := _CHATGPT_APP.search(ua):
        app = Surface.DESKTOP_APP if surface is Surface.BROWSER else surface
        return Client("ChatGPT app", _major_minor(m.group(1)), app, os_name)
    if surface in (Surface.IOS_APP, Surface.ANDROID_APP):
        surface = Surface.OTHER_DEVICE  # a browser on a phone, not the ChatGPT app
    for name, pattern in _BROWSERS:
        if m := re.search(pattern, ua):
            return Client(name, _major_minor(m.group(1)), surface, os_name)
    return Client(None, None, surface, os_name)


def from_creator(name: str, version: str) -> Client:
    """A HAR's ``log.browser`` or ``log.creator``: "Firefox" / "153.0".

    Chromium-based browsers name "WebInspector" with its own version, which says nothing
    about the browser's: that is left unknown (the User-Agent tells instead)."""
    canonical = _CREATOR_NAMES.get(name.strip().lower())
    if canonical is None:
        return Client()
    return Client(canonical, _major_minor(version.strip()) or None, Surface.BROWSER)


def _device(ua: str) -> tuple[Surface | None, str | None]:
    if re.search(r"iPhone|iPad|iPod", ua):
        return Surface.IOS_APP, "iOS"
    if "Android" in ua:
        return Surface.ANDROID_APP, "Android"
    for token, os_name in (("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"),
                           ("CrOS", "ChromeOS")):
        if token in ua:
            return Surface.BROWSER, os_name
    return None, None


def _major_minor(version: str) -> str:
    """``"131.0.6778.85"`` → ``"131.0"``: what a person would read in About."""
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else version
