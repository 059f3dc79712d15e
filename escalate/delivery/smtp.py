"""Send the bundle over SMTP: settings in the settings file, the password in the keyring.

The password is never on the command line, in a file escalate writes, or in any output:
smtplib's debug output (which shows the AUTH exchange in base64) is never switched on.
smtplib's own AUTH encodes the password as ASCII, so AUTH PLAIN and LOGIN are spoken here
with UTF-8, and a non-ASCII password works. The message size is checked against the
server's ``SIZE`` before anything is sent, so an oversize message fails before DATA.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.policy import SMTP
from typing import Literal

from escalate.errors import DeliveryError
from escalate.facts.identity import KeyringProblem, get_secret, set_secret
from escalate.storage.paths import Paths, load_settings, save_settings

Tls = Literal["starttls", "ssl", "none"]
TLS_MODES: tuple[Tls, ...] = ("starttls", "ssl", "none")
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
SETUP_HINT = "set it up: escalate config set-smtp HOST[:PORT] --user USER --password-stdin"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; the password is not here (it lives in the keyring)."""

    host: str
    port: int
    tls: Tls = "starttls"
    user: str | None = None
    cafile: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def secret_key(self) -> str:
        return f"smtp:{self.user}@{self.host}:{self.port}"


def parse_server(text: str, tls: Tls) -> tuple[str, int]:
    """``HOST[:PORT]`` → host and port (the TLS mode's usual port when none is given)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = port, ""
    if not host or any(c.isspace() for c in host) or "/" in host:
        raise DeliveryError(f"{text!r} is not a mail server", "give HOST or HOST:PORT")
    if not port:
        return host, DEFAULT_PORTS[tls]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise DeliveryError(
            f"{port!r} is not a port number", "give HOST:PORT, e.g. smtp.example.org:587"
        )
    return host, int(port)


def save_smtp(p: Paths, settings: SmtpSettings, password: str | None) -> None:
    """Store the settings, and the password in the keyring (raises KeyringProblem)."""
    if password is not None:
        set_secret(settings.secret_key, password, what="store the SMTP password")
    stored = load_settings(p)
    stored["smtp"] = {k: v for k, v in asdict(settings).items() if v is not None}
    save_settings(p, stored)


def load_smtp(p: Paths) -> SmtpSettings:
    """The stored settings; :class:`DeliveryError` when there are none."""
    raw = load_settings(p).get("smtp")
    try:
        return SmtpSettings(**raw) if isinstance(raw, dict) else _missing()
    except TypeError:
        raise DeliveryError("the SMTP settings are damaged", SETUP_HINT) from None


def _missing() -> SmtpSettings:
    raise DeliveryError("no mail server is set up", SETUP_HINT)


def password_for(settings: SmtpSettings) -> str | None:
    """The keyring's password for ``settings`` (None when it logs in without one)."""
    if settings.user is None:
        return None
    try:
        password = get_secret(settings.secret_key, what="read the SMTP password")
    except KeyringProblem as exc:
        raise DeliveryError(exc.message, "the password is kept only in the keyring") from None
    if password is None:
        raise DeliveryError(f"no SMTP password stored for {settings.user}", SETUP_HINT)
    return password


def send(settings: SmtpSettings, password: str | None, msg: EmailMessage, sender: str,
         to: str, timeout: float = 30.0) -> int:
    """Send ``msg``; returns its size in bytes. Every failure is one :class:`DeliveryError`."""
    data = msg.as_bytes(policy=SMTP)  # CRLF: smtplib sends bytes as they are
    try:
        with _connect(settings, timeout) as server:
            limit = int(server.esmtp_features.get("size", "0").split()[0] or 0)
            if limit and len(data) > limit:
                raise DeliveryError(
                    f"the message is {_mib(len(data))}; {settings.host} accepts at most "
                    f"{_mib(limit)}",
                    "nothing was sent; send the PDF and message.txt alone from a mail client",
                )
            if settings.user is not None:
                _login(server, settings, password or "")
            # smtplib announces the size itself (SIZE=) when the server takes it
            refused = server.sendmail(sender, [to], data)
            if refused:
                raise DeliveryError(f"{settings.host} refused the recipient {to}")
    except DeliveryError:
        raise
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(f"{settings.host} refused the recipient {to}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(
            f"{settings.host} refused the sender {sender}: {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"{settings.host} answered {exc.smtp_code}: {_text(exc.smtp_error)}"
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS with {settings.where} failed: {exc.reason or exc}",
                            "check --tls and --cafile") from None
    except TimeoutError:
        raise DeliveryError(f"{settings.where} did not answer within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise DeliveryError(f"cannot connect to {settings.where}: connection refused",
                            "check the host and port: escalate config show") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"sending through {settings.where} failed: "
                            f"{type(exc).__name__}") from None
    return len(data)


def _connect(settings: SmtpSettings, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=settings.cafile)
    if settings.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                               context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        server.ehlo()
        if settings.tls == "starttls":
            if not server.has_extn("starttls"):
                raise DeliveryError(f"{settings.where} does not offer STARTTLS",
                                    "use --tls ssl, or --tls none on a trusted network")
            server.starttls(context=context)
            server.ehlo()
    except BaseException:
        server.close()
        raise
    return server


def _login(server: smtplib.SMTP, settings: SmtpSettings, password: str) -> None:
    """AUTH PLAIN (or LOGIN) with the user and password in UTF-8."""
    mechanisms = server.esmtp_features.get("auth", "").upper().split()
    user = (settings.user or "").encode()
    secret = password.encode("utf-8")
    if "PLAIN" in mechanisms:
        code, _ = server.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + secret))
    elif "LOGIN" in mechanisms:
        code, _ = server.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, _ = server.docmd(_b64(secret))
    else:
        raise DeliveryError(f"{settings.where} offers no login this tool speaks (PLAIN, LOGIN)",
                            "check --tls: many servers offer login only after STARTTLS")
    if code != 235:
        raise DeliveryError(f"{settings.host} refused the login for {settings.user}",
                            "store the right password: " + SETUP_HINT)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.0f} KiB"


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]
