"""An RFC 5322 draft of the bundle: subject, plain-text body, the attachments, X-Unsent.

``X-Unsent: 1`` makes Outlook and Thunderbird open the file as a draft ready to send.
The body is ``message.txt``; the attachments are read from the bundle after it was checked
against ``SHA256SUMS``, so they are byte-identical to it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid

from escalate.delivery.locate import Located

# What is attached, in this order, when the bundle has it.
ATTACHED = {
    "submission.pdf": ("application", "pdf"),
    "screenshot.png": ("image", "png"),
    "screenshot.jpg": ("image", "jpeg"),
    "report.json": ("application", "json"),
    "sanitized.har": ("application", "json"),
}


def subject(located: Located) -> str:
    """The subject line: the summary, on one line."""
    summary = " ".join(located.report.summary.split())
    return f"ChatGPT support request: {summary}"


def build_message(located: Located, to: str, now: datetime, draft: bool = True) -> EmailMessage:
    """The message for ``located``'s bundle, addressed to ``to`` (a draft unless ``draft``)."""
    msg = EmailMessage(policy=default)
    msg["Subject"] = subject(located)
    msg["From"] = str(located.report.email)
    msg["To"] = to
    msg["Date"] = format_datetime(now)
    # A fixed domain: the default would put this machine's host name in every message.
    msg["Message-ID"] = make_msgid("escalate", domain="escalate.invalid")
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(located.message(), subtype="plain", charset="utf-8")
    for name in ATTACHED:
        if name in located.files:
            attach(msg, name, (located.folder / name).read_bytes())
    return msg


def attach(msg: EmailMessage, name: str, data: bytes) -> None:
    """Attach ``data`` as ``name``; a non-ASCII name is encoded per RFC 2231."""
    maintype, subtype = ATTACHED.get(name, ("application", "octet-stream"))
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
