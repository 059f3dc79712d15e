"""Shapes that a single pattern cannot check: key blocks, disguised addresses, IPs, homes.

- A private key block (PEM, OpenSSH, PGP) is removed whole; when its END line is missing
  (a truncated paste) the block ends at the first line that is not part of the armour.
- An email address written to dodge scrapers (``jo [at] example [dot] com``, ``&#64;``, a
  fullwidth ``＠``) is still an address. Zero-width characters inside one are dropped by
  normalisation before any rule runs.
- Client IP addresses (v4 and v6, validated by :mod:`ipaddress`; loopback, unspecified
  and RFC 1918 home-network addresses stay) and the user name in a home folder path.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import cache

from escalate.privacy.rules import Candidate

_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]{0,60}+-----")
# Armour lines: base64, a PGP checksum ("=abcd"), a header ("Proc-Type: 4,ENCRYPTED"), blank.
_ARMOUR_LINE = re.compile(r"[ \t]*+(?:[A-Za-z0-9+/=]*+|[A-Za-z][\w\-]{0,40}+:[^\n]{0,200}+)\r?$")


def _key_blocks(text: str) -> Iterator[Candidate]:
    last = 0
    end_line = _KEY_END.search(text)  # searched again only once passed: one scan in all
    for m in _KEY_BEGIN.finditer(text):
        if m.start() < last:
            continue
        start = m.end()
        if end_line is not None and end_line.start() < start:
            end_line = _KEY_END.search(text, start)
        next_begin = text.find("-----BEGIN ", start)
        if end_line is not None and (next_begin < 0 or end_line.start() < next_begin):
            end = end_line.start()
            last = end_line.end()
        else:  # no END line: the armour ends at the first line that is not armour
            end = pos = start
            while pos < len(text):
                nl = text.find("\n", pos)
                line_end = len(text) if nl < 0 else nl
                if _ARMOUR_LINE.fullmatch(text, pos, line_end) is None:
                    break
                end = line_end
                pos = line_end + 1
            last = end
        body = text[start:end]
        if body.strip():
            yield start, end, 0, "private_key", body.strip()


_AT = r"(?:[ \t]{0,3}+[\[({<][ \t]?at[ \t]?[\])}>][ \t]{0,3}+|&#0*64;|&#x0*40;|＠)"
_DOT = r"(?:[ \t]{0,3}+[\[({<][ \t]?dot[ \t]?[\])}>][ \t]{0,3}+|&#0*46;|\.)"
_DISGUISED_AT = re.compile(_AT)
_AT_CORE = re.compile(r"[\[({<][ \t]?at[ \t]?[\])}>]|&#0*64;|&#x0*40;|＠")
_DOMAIN_AFTER = re.compile(rf"[a-z0-9\-]{{1,63}}+(?>(?:{_DOT}[a-z0-9\-]{{1,63}}+){{1,6}})")
_LOCAL_REVERSED = re.compile(r"[\w+\-][\w.+\-]{0,63}+")
_UNDISGUISE = re.compile(rf"{_AT}|{_DOT}")
_DISGUISE_HINT = re.compile(r"[\[({<][ \t]?at[ \t]?[\])}>]|&#|＠")


def _disguised_emails(text: str, folded: str, reporter: str | None) -> Iterator[Candidate]:
    # The "at" itself is searched for (it starts with a bracket, "&" or "＠", which ``re``
    # skips to fast); the spaces around it are taken after.
    for m in _AT_CORE.finditer(folded):
        at_start = len(folded[max(0, m.start() - 3) : m.start()].rstrip(" \t"))
        at_start += max(0, m.start() - 3)
        at_end = m.end() + len(folded[m.end() : m.end() + 3]) - len(
            folded[m.end() : m.end() + 3].lstrip(" \t")
        )
        local = _LOCAL_REVERSED.match(folded[max(0, at_start - 64) : at_start][::-1])
        domain = _DOMAIN_AFTER.match(folded, at_end)
        if local is None or domain is None:
            continue
        start, end = at_start - local.end(), domain.end()
        tld = re.split(_DOT, domain.group())[-1]
        if len(tld) < 2 or not tld.isalpha():
            continue
        plain = _UNDISGUISE.sub(
            lambda x: "@" if _DISGUISED_AT.fullmatch(x.group()) else ".", folded[start:end]
        )
        if plain != reporter:
            yield start, end, 1, "email", plain


# Digits first, so ``re`` skips fast to them; the octets and the edges are checked after.
_IPV4 = re.compile(r"\d{1,3}+\.\d{1,3}+\.\d{1,3}+\.\d{1,3}+")
_EDGE = re.compile(r"[\w.\-]")
_AFTER_V4 = re.compile(r"[\w\-]|\.[\w\-]")  # a sentence's full stop may follow
# A v6 address has "::" or all eight groups; the text around each "::" is read outwards
# (a pattern that could start anywhere would be tried at every character), and ipaddress
# has the last word.
# From its first ":" (``re`` skips fast to one); the group before it is read back after.
_IPV6_FULL = re.compile(r":(?<=[0-9a-f]:)[0-9a-f]{1,4}+(?::[0-9a-f]{1,4}+){6}(?![0-9a-f:])")
_HEX_BEFORE = re.compile(r"[0-9a-f]{1,4}")
_V6_BEFORE = re.compile(r"[0-9a-f:]{0,39}+")
_V6_AFTER = re.compile(r"[0-9a-f:]{0,39}+(?:(?<=:)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?")
_V6_EDGE = re.compile(r"[\w:.]")


def _v6_spans(folded: str) -> Iterator[tuple[int, int]]:
    last = -1
    pos = folded.find("::")
    while pos >= 0:
        if pos >= last:
            back = _V6_BEFORE.match(folded[max(0, pos - 39) : pos][::-1])
            start = pos - (back.end() if back else 0)
            end = _V6_AFTER.match(folded, pos).end()  # type: ignore[union-attr]
            last = end
            yield start, end
        pos = folded.find("::", pos + 2)
    for m in _IPV6_FULL.finditer(folded):
        back = _HEX_BEFORE.match(folded[max(0, m.start() - 4) : m.start()][::-1])
        yield m.start() - (back.end() if back else 0), m.end()


_KEEP_IPS = frozenset({"0.0.0.0", "255.255.255.255", "::1", "::"})  # noqa: S104
# A home or office network address (RFC 1918) names no one; a public one can.
@cache
def _local_v4() -> list[ipaddress.IPv4Network]:
    nets = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")
    return [ipaddress.IPv4Network(n) for n in nets]


# "version 1.2.3.4" and "build 10.0.0.1" are versions, whatever they look like.
_VERSION_BEFORE = re.compile(r"(?<![a-z])(?:version|ver\.?|build|release|v)[ \t:=]{0,2}$")


def _ips(text: str, folded: str) -> Iterator[Candidate]:
    if "." in text:
        for m in _IPV4.finditer(text):
            s, e = m.span()
            if (s and _EDGE.match(text, s - 1)) or _AFTER_V4.match(text, e) or (
                _VERSION_BEFORE.search(folded, max(0, s - 10), s)
            ):
                continue
            # "Chrome/120.0.0.0", "Brand;8.0.0.0": versions; an address ending in .0 names a
            # network, not a person's machine.
            if (s and text[s - 1] in "/;") or text.endswith(".0", s, e):
                continue
            try:
                address = ipaddress.IPv4Address(m.group())
            except ValueError:  # an octet over 255, a leading zero
                continue
            if m.group() not in _KEEP_IPS and not any(address in n for n in _local_v4()):
                yield m.start(), m.end(), 1, "ip_address", m.group()
    for start, end in _v6_spans(folded):
        if (start and _V6_EDGE.match(folded, start - 1)) or _V6_EDGE.match(folded, end):
            continue
        value = folded[start:end]
        groups = [g for g in value.split(":") if g]
        if value in _KEEP_IPS or len(groups) < 2 or ("::" not in value and len(groups) < 8):
            continue
        if len(value) < 6 or all(g.isdigit() and len(g) <= 2 for g in groups):
            continue  # "12:30::45" is a time, not an address
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        yield start, end, 1, "ip_address", value


# The user's own name sits in every path under their home folder.
# A separator first, so ``re`` skips fast to one; what precedes it is checked after.
_HOME = re.compile(
    r"(?:/(?:home|Users|var/home)/|\\{1,2}Users\\{1,2})(?P<v>[^/\\\s\"'<>:*?|]{1,64}+)"
)
_BEFORE_HOME = re.compile(r"[\w.\\]")
_NOT_A_USER = frozenset(
    {
        # service accounts of CI machines and images, not people
        "runner",
        "ubuntu",
        "ec2-user",
        "vagrant",
        "circleci",
        "jenkins",
        "root",
        "public",
        "default",
        "shared",
        "all users",
        "default user",
        "user",
        "username",
        "you",
        "me",
        "$user",
        "%username%",
        "<user>",
        "<username>",
        "{user}",
        "...",
    }
)


def _home_users(text: str) -> Iterator[Candidate]:
    for m in _HOME.finditer(text):
        s = m.start()
        drive = s >= 2 and text[s - 1] == ":" and text[s - 2].isalpha()  # C:\Users\\
        before = s - 2 if drive else s
        if before and _BEFORE_HOME.match(text, before - 1):
            continue
        name = m.group("v")
        if name.lower() not in _NOT_A_USER and not name.startswith(("$", "%", "[")):
            yield m.start("v"), m.end("v"), 1, "user_name", name


def shape_candidates(text: str, folded: str, reporter: str | None) -> Iterator[Candidate]:
    """Key blocks, disguised addresses, IP addresses and home-folder user names."""
    if "-----BEGIN " in text:
        yield from _key_blocks(text)
    if _DISGUISE_HINT.search(folded):
        yield from _disguised_emails(text, folded, reporter)
    yield from _ips(text, folded)
    if "users" in folded or "/home/" in text:
        yield from _home_users(text)
