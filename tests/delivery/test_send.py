"""escalate send: a real aiosmtpd on 127.0.0.1 with STARTTLS and AUTH on a throwaway cert."""

from __future__ import annotations

import base64
import email
import json
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import keyring
import pytest
from aiosmtpd import smtp as aiosmtpd_smtp
from aiosmtpd.controller import Controller

from tests.conftest import require_tool
from tests.delivery_bundle import digest, make_bundle, sums
from tests.facts.test_identity import MemoryKeyring
from tests.harness import run

USER = "dana.kim"
PASSWORD = "Pässwörd-ünï✓-密码"  # non-ASCII on purpose: smtplib's own AUTH cannot send it


@dataclass
class Mailbox:
    host: str
    port: int
    cafile: Path
    received: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[bytes] = field(default_factory=list)


def _certificate(folder: Path) -> tuple[Path, Path]:
    require_tool("openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("tls"))


def _start(tls_files: tuple[Path, Path], size_limit: int) -> tuple[Any, Mailbox]:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox("127.0.0.1", 0, cert)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.received.append(bytes(envelope.original_content or envelope.content))
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> Any:
        box.logins.append(auth_data.password)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)

    box.port = _free_port()  # aiosmtpd's Controller cannot report a port 0 choice
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box.port, tls_context=context, require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=authenticator,
        data_size_limit=size_limit, decode_data=False,
    )
    controller.start()
    return controller, box


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox(tls_files: tuple[Path, Path]) -> Iterator[Mailbox]:
    controller, box = _start(tls_files, 32 * 1024 * 1024)
    yield box
    controller.stop()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def _set_smtp(box: Mailbox, password: str = PASSWORD, port: int | None = None) -> None:
    result = run("config", "set-smtp", f"{box.host}:{port or box.port}", "--user", USER,
                 "--tls", "starttls", "--cafile", str(box.cafile), "--password-stdin",
                 stdin=password + "\n")
    assert result.code == 0, result.err
    assert password not in result.out + result.err


def _all_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file()]


def _leaks(text: str | bytes, password: str = PASSWORD) -> bool:
    """Whether the password shows in ``text`` in clear or in the base64 of an AUTH line."""
    data = text.encode() if isinstance(text, str) else text
    secret = password.encode()
    plain = base64.b64encode(b"\0" + USER.encode() + b"\0" + secret)
    return secret in data or plain in data or base64.b64encode(secret) in data


def test_send_delivers_every_attachment_byte_identical(
        tmp_path: Path, mailbox: Mailbox, escalate_home: Path, memory_keyring: MemoryKeyring,
) -> None:
    bundle = make_bundle(tmp_path, out=False)
    _set_smtp(mailbox)
    result = run("--debug", "send", "last", "--to", "helpdesk@corp.example.org")
    assert result.code == 0, result.err
    assert "sent to helpdesk@corp.example.org through 127.0.0.1" in result.out
    [raw] = mailbox.received
    assert mailbox.envelopes == [("dana.kim@example.org", ["helpdesk@corp.example.org"])]
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    assert msg["X-Unsent"] is None  # a sent mail is not a draft
    listed = sums(bundle)
    names = set()
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        assert digest(data) == listed[part.get_filename()]
        names.add(part.get_filename())
    assert names == {"submission.pdf", "screenshot.png", "report.json", "sanitized.har"}
    # when and to whom, in the history record (the bundle itself is unchanged)
    record = json.loads(run("show", "last", "--json").out)
    assert record["sent"][0]["to"] == "helpdesk@corp.example.org"
    assert record["sent"][0]["at"].startswith("2026-11-20T03:47")
    assert run("verify", str(bundle)).code == 0
    # the password: in the keyring and nowhere else
    assert PASSWORD in memory_keyring.store.values()
    assert not _leaks(result.out + result.err)
    for path in _all_files(escalate_home):
        assert not _leaks(path.read_bytes()), path
    assert mailbox.logins == [PASSWORD.encode()]


def _no_mail_one_line(result: Any, box: Mailbox, needle: str) -> None:
    assert result.code == 1
    assert result.err.startswith("escalate: error: ")
    assert needle in result.err.splitlines()[0]
    assert len(result.err.strip().splitlines()) <= 2  # the message and its hint
    assert box.received == []
    record = json.loads(run("show", "last", "--json").out)
    assert record["sent"] == []


def test_wrong_password_is_one_line_and_no_mail(tmp_path: Path, mailbox: Mailbox) -> None:
    make_bundle(tmp_path, out=False)
    _set_smtp(mailbox, password="wrong-Pässwort")
    result = run("send", "last", "--to", "helpdesk@corp.example.org")
    _no_mail_one_line(result, mailbox, "refused the login for dana.kim")
    debug = run("--debug", "send", "last", "--to", "helpdesk@corp.example.org")
    assert debug.code == 1 and "Traceback" in debug.err
    for text in (result.out + result.err, debug.out + debug.err):
        assert not _leaks(text, "wrong-Pässwort")


def test_refused_connection_is_one_line_and_no_mail(tmp_path: Path, mailbox: Mailbox) -> None:
    make_bundle(tmp_path, out=False)
    free = _free_port()
    _set_smtp(mailbox, port=free)
    result = run("send", "last", "--to", "helpdesk@corp.example.org")
    _no_mail_one_line(result, mailbox, f"cannot connect to 127.0.0.1:{free}: connection refused")


def test_oversize_is_refused_before_data(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    controller, box = _start(tls_files, 20_000)  # smaller than the PDF alone
    try:
        make_bundle(tmp_path, out=False)
        _set_smtp(box)
        result = run("send", "last", "--to", "helpdesk@corp.example.org")
        _no_mail_one_line(result, box, "accepts at most 20 KiB")
        assert box.logins == []  # checked before the login, let alone DATA
    finally:
        controller.stop()


def test_send_without_setup_says_how(tmp_path: Path) -> None:
    make_bundle(tmp_path, "--format", "md,json", out=False)
    result = run("send", "last", "--to", "helpdesk@corp.example.org")
    assert result.code == 1
    assert "no mail server is set up" in result.err
    assert "escalate config set-smtp" in result.err


def test_set_smtp_needs_the_password_on_stdin() -> None:
    result = run("config", "set-smtp", "smtp.example.org", "--user", USER)
    assert result.code == 2 and "--password-stdin" in result.err
    shown = run("config", "show")
    assert "SMTP server" not in shown.out
    ok = run("config", "set-smtp", "smtp.example.org", "--user", USER, "--password-stdin",
             stdin=PASSWORD)
    assert ok.code == 0
    assert "smtp.example.org:587 (starttls), user dana.kim" in run("config", "show").out


# aiosmtpd cannot see that an implicit-TLS session is encrypted, so it warns about AUTH.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_over_implicit_tls(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(bytes(envelope.original_content or envelope.content))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> Any:
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)

    port = _free_port()
    # The whole session is TLS from the first byte, so AUTH needs no STARTTLS here.
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=context,
                            auth_required=True, auth_require_tls=False,
                            authenticator=authenticator)
    controller.start()
    try:
        make_bundle(tmp_path, "--format", "md,json", out=False)
        stored = run("config", "set-smtp", f"127.0.0.1:{port}", "--user", USER, "--tls", "ssl",
                     "--cafile", str(cert), "--password-stdin", stdin=PASSWORD)
        assert stored.code == 0, stored.err
        result = run("send", "last", "--to", "helpdesk@corp.example.org")
    finally:
        controller.stop()
    assert result.code == 0, result.err
    [raw] = received
    msg = email.message_from_bytes(raw, policy=default)
    assert {p.get_filename() for p in msg.iter_attachments()} == {
        "screenshot.png", "report.json", "sanitized.har"}


def test_an_untrusted_certificate_is_one_line_and_no_mail(tmp_path: Path,
                                                          mailbox: Mailbox) -> None:
    make_bundle(tmp_path, "--format", "md,json", out=False)
    stored = run("config", "set-smtp", f"127.0.0.1:{mailbox.port}", "--user", USER,
                 "--password-stdin", stdin=PASSWORD)  # no --cafile: the system CAs
    assert stored.code == 0
    result = run("send", "last", "--to", "helpdesk@corp.example.org")
    _no_mail_one_line(result, mailbox, f"TLS with 127.0.0.1:{mailbox.port} failed")
