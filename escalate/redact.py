"""Secret and PII scrubbing of text, with placeholders that stay consistent per value.

Matching runs on a normalised copy of the text (ANSI escapes and zero-width characters
removed, a few percent-escapes decoded, keys wrapped across lines joined), with an offset
map back to the original; the output keeps the original text verbatim outside the spans
that were replaced.

Every pattern is linear on hostile input: a token pattern may only start where a run of its
own characters starts (the negative lookbehind sits after the literal prefix, so ``re``
still scans for the prefix quickly), its runs are possessive, and any check that could
fail after a long run (length, checksum, shape) is made in Python on the match instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# category -> (placeholder stem, singular label, plural label); the order is the summary's.
_CATEGORIES: dict[str, tuple[str, str, str]] = {
    "openai_key": ("OPENAI-KEY", "API key", "API keys"),
    "aws_key": ("AWS-KEY", "AWS access key", "AWS access keys"),
    "aws_secret": ("AWS-SECRET", "AWS secret key", "AWS secret keys"),
    "github_token": ("GITHUB-TOKEN", "GitHub token", "GitHub tokens"),
    "slack_token": ("SLACK-TOKEN", "Slack token", "Slack tokens"),
    "stripe_key": ("STRIPE-KEY", "Stripe key", "Stripe keys"),
    "google_key": ("GOOGLE-KEY", "Google API key", "Google API keys"),
    "private_key": ("PRIVATE-KEY", "private key", "private keys"),
    "jwt": ("JWT", "session token", "session tokens"),
    "bearer_token": ("BEARER-TOKEN", "bearer token", "bearer tokens"),
    "cookie": ("COOKIE", "cookie value", "cookie values"),
    "password": ("PASSWORD", "password", "passwords"),
    "secret": ("SECRET", "other secret", "other secrets"),
    "email": ("EMAIL", "other email", "other emails"),
    "phone": ("PHONE", "phone number", "phone numbers"),
    "card": ("CARD", "card number", "card numbers"),
    "cvc": ("CVC", "card security code", "card security codes"),
}


@dataclass(frozen=True)
class Redaction:
    """One replaced span; ``start``/``end`` index the OUTPUT text."""

    category: str
    placeholder: str
    start: int
    end: int


@dataclass(frozen=True)
class RedactedText:
    """Redacted text and what was replaced in it."""

    text: str
    redactions: tuple[Redaction, ...]


# --------------------------------------------------------------------------- normalising


class _OffsetMap:
    """Maps positions of one normalisation stage's output back to its input."""

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        # (src_start, src_end, dst_start, dst_end), sorted and non-overlapping
        self.src_starts = [e[0] for e in edits]
        self.src_ends = [e[1] for e in edits]
        self.dst_starts = [e[2] for e in edits]
        self.dst_ends = [e[3] for e in edits]

    def start(self, p: int) -> int:
        """Where a span starting at ``p`` starts: after removed text, before replaced text."""
        i = bisect_right(self.dst_ends, p) - 1
        j = i + 1
        if j < len(self.dst_starts) and self.dst_starts[j] <= p < self.dst_ends[j]:
            return self.src_starts[j]
        return p if i < 0 else self.src_ends[i] + p - self.dst_ends[i]

    def end(self, p: int) -> int:
        """Where a span ending at ``p`` ends: before removed text, after replaced text."""
        i = bisect_left(self.dst_starts, p) - 1
        if i < 0:
            return p
        return self.src_ends[i] + max(0, p - self.dst_ends[i])


Edit = tuple[int, int, str]  # (start, end, replacement) in the stage's input


def _rewrite(text: str, edits: Iterator[Edit]) -> tuple[str, _OffsetMap | None]:
    parts: list[str] = []
    table: list[tuple[int, int, int, int]] = []
    last = shift = 0
    for s, e, new in edits:
        parts.append(text[last:s])
        parts.append(new)
        table.append((s, e, s + shift, s + shift + len(new)))
        shift += len(new) - (e - s)
        last = e
    if not table:
        return text, None
    parts.append(text[last:])
    return "".join(parts), _OffsetMap(table)


# Terminal escapes and invisible characters are dropped; percent-escapes of the characters
# secrets and emails are made of are decoded (decoding more would change nothing we match).
_INVISIBLE = re.compile(
    r"\x1b\[[0-?]{0,32}+[ -/]{0,8}+[@-~]"  # CSI (colours) as pasted from a terminal
    r"|\x1b\][^\x07\x1b]{0,512}+(?:\x07|\x1b\\)"  # OSC (titles, hyperlinks)
    r"|[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]++"
    r"|(?P<pct>(?:%(?:2[DdEeBb]|40|5[Ff]|7[Ee]))++)"
)
_PERCENT_CHARS = {"2d": "-", "2e": ".", "2b": "+", "40": "@", "5f": "_", "7e": "~"}

_WRAP_PREFIX = r"(?:sk-|sk_|rk_|gh[pousr]_|github_pat_|xox[abprse]-|AKIA|ASIA|AIza|eyJ)"
_KEYCH = "A-Za-z0-9_.\\-"
# A key-like token cut by a newline and indentation, continued by a token that looks random
# (a digit or a case change soon), so a key at the end of a line never swallows prose.
_WRAPPED = re.compile(
    rf"(?<![{_KEYCH}]){_WRAP_PREFIX}[{_KEYCH}]*+"
    rf"(?:\r?\n[ \t]{{0,40}}+"
    rf"(?=[{_KEYCH}]{{0,80}}?(?:[0-9]|[a-z][A-Z]|[A-Z][a-z]{{0,20}}+[A-Z]))[{_KEYCH}]++)++"
)
_NEWLINE_INDENT = re.compile(r"\r?\n[ \t]*+")


def _invisible_edits(text: str) -> Iterator[Edit]:
    for m in _INVISIBLE.finditer(text):
        run = m.group("pct")
        new = "" if run is None else "".join(
            _PERCENT_CHARS[run[i + 1 : i + 3].lower()] for i in range(0, len(run), 3)
        )
        yield m.start(), m.end(), new


def _wrap_edits(text: str) -> Iterator[Edit]:
    for m in _WRAPPED.finditer(text):
        for nl in _NEWLINE_INDENT.finditer(text, m.start(), m.end()):
            yield nl.start(), nl.end(), ""


def _normalise(text: str) -> tuple[str, list[_OffsetMap]]:
    maps: list[_OffsetMap] = []
    stage1, m1 = _rewrite(text, _invisible_edits(text))
    stage2, m2 = _rewrite(stage1, _wrap_edits(stage1))
    if m2 is not None:
        maps.append(m2)
    if m1 is not None:
        maps.append(m1)
    return stage2, maps


# --------------------------------------------------------------------------- detectors

Candidate = tuple[int, int, int, str, str]  # (start, end, tier, category, identity)
Check = Callable[[str], str | None]  # value -> identity for the mapping, or None to keep it

_PLACEHOLDER_RE = re.compile(r"\[[A-Z]+(?:-[A-Z]+)*-\d+\]")


def _random_looking(value: str, min_len: int) -> bool:
    return len(value) >= min_len and any(c.isdigit() or c.isupper() for c in value)


def _token(min_len: int) -> Check:
    return lambda v: v if _random_looking(v, min_len) else None


def _openai(v: str) -> str | None:
    rest = v[3:]
    return v if _random_looking(rest, 20) else None


def _secret_value(v: str) -> str | None:
    if _PLACEHOLDER_RE.fullmatch(v) or not any(c.isalnum() for c in v):
        return None
    return v if len(v) >= 3 else None


def _bearer(v: str) -> str | None:
    return v if len(v) >= 8 and any(c.isdigit() for c in v) else _token(16)(v)


def _digits(v: str) -> str:
    return "".join(c for c in v if c.isdigit())


def _phone(v: str) -> str | None:
    d = _digits(v)
    return d if 7 <= len(d) <= 15 else None


def _luhn(d: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(v: str) -> str | None:
    d = _digits(v)
    # An issuer's first digit as well as the checksum, so a 13-digit epoch-millis never fits.
    return d if 13 <= len(d) <= 19 and d[0] in "23456" and _luhn(d) else None


_NOT_TLD = frozenset("png jpg jpeg gif svg webp ico js mjs ts tsx css map py json txt log".split())


def _email_check(reporter: str | None) -> Check:
    def check(v: str) -> str | None:
        local, _, domain = v.rpartition("@")
        tld = domain.rsplit(".", 1)[-1]
        if local.startswith(".") or len(tld) < 2 or tld.isdigit() or tld.lower() in _NOT_TLD:
            return None
        ident = v.casefold()
        return None if ident == reporter else ident

    return check


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    check: Check
    tier: int = 1  # URL passwords 0, known formats 1, cookies 2, generic 3: lower wins
    needle: str = ""  # skip the scan when this (lower-cased) literal is absent


def _lb(prefix: str, chars: str = _KEYCH) -> str:
    """``prefix`` that only starts a run of ``chars`` (the lookbehind follows the literal)."""
    return f"{prefix}(?<![{chars}]{prefix})"


_KV_NAMES = (
    r"passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|auth"
)


def _rules(reporter: str | None) -> list[_Rule]:
    r = re.compile
    return [
        _Rule("password", r(r"://[^\s:/@?#]{0,256}+:(?P<v>[^\s/@?#]{1,256}+)@"),
              _secret_value, 0, "://"),
        _Rule("private_key", r(r"-----BEGIN[A-Z ]{0,40}+PRIVATE KEY-----(?P<v>[^-]*+)"
                               r"-----END[A-Z ]{0,40}+PRIVATE KEY-----"),
              lambda v: v.strip() or None, 0, "private key"),
        _Rule("openai_key", r(_lb("sk-") + r"[A-Za-z0-9_\-]*+"), _openai, 1, "sk-"),
        _Rule("stripe_key", r(_lb("(?:sk|rk)_(?:live|test)_") + r"[A-Za-z0-9]*+"),
              _token(16), 1, "k_"),
        _Rule("github_token", r(_lb("gh[pousr]_") + r"[A-Za-z0-9_]*+"), _token(24), 1, "gh"),
        _Rule("github_token", r(_lb("github_pat_") + r"[A-Za-z0-9_]*+"), _token(24), 1, "pat_"),
        _Rule("slack_token", r(_lb("xox[abprse]-") + r"[A-Za-z0-9\-]*+"), _token(14), 1, "xox"),
        _Rule("google_key", r(_lb("AIza") + r"[A-Za-z0-9_\-]*+"), _token(34), 1, "aiza"),
        _Rule("aws_key", r(_lb("(?:AKIA|ASIA|AROA|AIDA|AGPA|ANPA)", "A-Za-z0-9")
                           + r"[A-Z0-9]{16}(?![A-Za-z0-9])"), lambda v: v),
        _Rule("aws_secret", r(r"(?i:aws_?secret_?access_?key)[\"']?[ \t]{0,5}+[=:][ \t]{0,5}+"
                              r"[\"']?(?P<v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
              lambda v: v, 1, "secret"),
        _Rule("jwt", r(_lb("eyJ") + r"[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+"
                       r"(?:\.[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+)?+"),
              lambda v: v if len(v) >= 24 and len(v.split(".", 1)[0]) >= 10 else None, 1, "eyj"),
        _Rule("email", r(r"(?<![\w.+\-])[\w.+\-]++@[\w\-]++(?:\.[\w\-]++)++"),
              _email_check(reporter), 1, "@"),
        _Rule("card", r(r"(?<![\w.\-/:+])(?:\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?"
                        r"|\d{4}([ \-])\d{6}\2\d{4,5}|\d{13,19}+)(?![\w\-/:]|[ .,\-]\d)"),
              _card),
        _Rule("cvc", r(r"(?i)(?<!\w)(?:cvc2?|cvv2?|csc|security code)[ \t]{0,3}+[:#=]?[ \t]{0,3}+"
                       r"(?P<v>\d{3,4})(?!\d)"), lambda v: v, 1),
        _Rule("phone", r(r"\+(?<![\w+]\+)\d{1,3}+(?:[ .\-]?+\(?+\d{1,5}+\)?+){1,6}+"),
              _phone, 1, "+"),
        _Rule("phone", r(r"(?<![\w.+\-/:])(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}-\d{3}-\d{4}"
                         r"|\d{3}\.\d{3}\.\d{4})(?![\w\-/:]|[.\-]\d)"), _phone),
        _Rule("phone", r(r"(?i)(?<!\w)(?:phone|tel|telephone|mobile|cell|fax|whatsapp)"
                         r"(?:[ \t]?(?:no\.?|number|#))?[ \t]{0,3}+[:=]?[ \t]{0,3}+"
                         r"(?P<v>\+?\(?\d(?:[ ().\-]{0,2}+\d){6,14}+)"), _phone),
        _Rule("bearer_token", r(r"(?i:bearer)[ \t]++(?P<v>[A-Za-z0-9\-._~+/]++=*+)"),
              _bearer, 3, "bearer"),
        _Rule("secret", r(r"(?i)(?:authorization|proxy-authorization)[\"']?[ \t]{0,5}+[:=]"
                          r"[ \t]{0,5}+[\"']?(?:basic|token|digest)[ \t]++(?P<v>[^\s\"',;]++)"),
              _secret_value, 3, "authorization"),
        _Rule("secret", r(rf"(?i)(?:{_KV_NAMES})(?:[_-]?(?:key|token|access_key|id))?[\"']?"
                          r"[ \t]{0,5}+(?P<sep>[=:])[ \t]{0,5}+[\"']?(?P<v>[^\s&;,\"'<>]++)"),
              _secret_value, 3),
    ]


_COOKIE = re.compile(r"(?i)(?P<set>set-)?cookie[ \t]{0,4}+:[ \t]{0,4}+(?P<v>[^\r\n\"']*+)")
_COOKIE_PAIR = re.compile(r"[ \t]*+(?P<name>[^=;\s]++)[ \t]*+=[ \t]*+(?P<v>[^;]*+)")


def _candidates(text: str, rules: list[_Rule]) -> Iterator[Candidate]:
    lowered = text.lower()
    for rule in rules:
        if rule.needle and rule.needle not in lowered:
            continue
        group = "v" if "v" in rule.pattern.groupindex else 0
        kv = "sep" in rule.pattern.groupindex
        for m in rule.pattern.finditer(text):
            value = m.group(group)
            if kv and m.group("sep") == ":" and not _random_looking(value, 6):
                continue  # "token: expired" is prose; "token=abc" is not
            ident = rule.check(value)
            if ident is None:
                continue
            category = rule.category
            if kv and re.match(r"(?i)passw|pwd", m.group()):
                category = "password"
            s, e = m.span(group)
            yield s, e, rule.tier, category, ident
    if "cookie" in lowered:
        yield from _cookie_candidates(text)


def _cookie_candidates(text: str) -> Iterator[Candidate]:
    for m in _COOKIE.finditer(text):
        base = m.start("v")
        for n, pair in enumerate(_COOKIE_PAIR.finditer(m.group("v"))):
            if m.group("set") and n:
                break  # Set-Cookie: the rest are attributes (Path, Expires, HttpOnly...)
            value = pair.group("v").rstrip()
            if value and not _PLACEHOLDER_RE.fullmatch(value):
                s = base + pair.start("v")
                yield s, s + len(value), 2, "cookie", f"{pair.group('name')}={value}"


def _select(cands: list[Candidate]) -> list[Candidate]:
    """Non-overlapping spans: lower tiers win, then the earliest and longest span."""
    chosen: list[Candidate] = []
    for tier in sorted({c[2] for c in cands}):
        layer = sorted((c for c in cands if c[2] == tier), key=lambda c: (c[0], -c[1]))
        merged: list[Candidate] = []
        i = 0
        last_end = -1
        for c in layer:
            while i < len(chosen) and chosen[i][1] <= c[0]:
                merged.append(chosen[i])
                last_end = max(last_end, chosen[i][1])
                i += 1
            if c[0] < last_end or (i < len(chosen) and chosen[i][0] < c[1]):
                continue
            merged.append(c)
            last_end = c[1]
        merged.extend(chosen[i:])
        chosen = merged
    return chosen


# --------------------------------------------------------------------------- the redactor


class Redactor:
    """Scrubs secrets and PII; the same value gets the same placeholder on every call."""

    def __init__(self, reporter_email: str | None = None) -> None:
        reporter = reporter_email.strip().casefold() if reporter_email else None
        self._rules = _rules(reporter or None)
        self._by_value: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._counts: dict[str, int] = {}

    def _placeholder(self, category: str, ident: str, original: str) -> str:
        key = (category, ident)
        found = self._by_value.get(key)
        if found is not None:
            return found
        n = self._next.get(category, 0) + 1
        self._next[category] = n
        placeholder = f"[{_CATEGORIES[category][0]}-{n}]"
        self._by_value[key] = placeholder
        self._originals[placeholder] = original
        self._counts[category] = self._counts.get(category, 0) + 1
        return placeholder

    def redact(self, text: str) -> RedactedText:
        """Replace every secret in ``text``; everything else is kept verbatim."""
        norm, maps = _normalise(text)
        spans = _select(list(_candidates(norm, self._rules)))
        if not spans:
            return RedactedText(text, ())
        parts: list[str] = []
        found: list[Redaction] = []
        last = out_len = 0
        for s, e, _tier, category, ident in spans:
            for m in maps:
                s, e = m.start(s), m.end(e)
            if s < last:  # two matches inside one decoded escape: the first one covers it
                continue
            placeholder = self._placeholder(category, ident, ident)
            parts.append(text[last:s])
            out_len += s - last
            parts.append(placeholder)
            found.append(Redaction(category, placeholder, out_len, out_len + len(placeholder)))
            out_len += len(placeholder)
            last = e
        parts.append(text[last:])
        return RedactedText("".join(parts), tuple(found))

    @property
    def counts(self) -> dict[str, int]:
        """Category -> how many distinct values were replaced so far."""
        return dict(self._counts)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder -> original value; keep it local, it is never put in a bundle."""
        return dict(self._originals)

    def summary(self) -> str:
        """One line for a person, e.g. "2 API keys, 1 other email removed"."""
        parts = []
        for category, (_stem, one, many) in _CATEGORIES.items():
            n = self._counts.get(category, 0)
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        return ", ".join(parts) + " removed" if parts else "nothing removed"


def redact_text(text: str, reporter_email: str | None = None) -> str:
    """Redact ``text`` with a fresh :class:`Redactor` and return only the text."""
    return Redactor(reporter_email).redact(text).text
