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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from escalate.privacy.normalise import fold, normalise
from escalate.privacy.normalise import token_start as _lb
from escalate.text import counted

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


# --------------------------------------------------------------------------- detectors

Candidate = tuple[int, int, int, str, str]  # (start, end, tier, category, identity)
Check = Callable[[str], str | None]  # value -> identity for the mapping, or None to keep it

_PLACEHOLDER_RE = re.compile(r"\[[A-Z]+(?:-[A-Z]+)*(?:-\d+)?\]")  # ours, or [REDACTED]


# Checks on a value use regex searches, not Python loops: a value may be megabytes long.
_DIGIT_OR_UPPER = re.compile(r"[\dA-Z]")
_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[^\W_]")


def _random_looking(value: str, min_len: int) -> bool:
    return len(value) >= min_len and _DIGIT_OR_UPPER.search(value) is not None


def _token(min_len: int) -> Check:
    return lambda v: v if _random_looking(v, min_len) else None


def _same(v: str) -> str | None:
    return v


def _openai(v: str) -> str | None:
    return v if _random_looking(v[3:], 20) else None


def _secret_value(v: str) -> str | None:
    if _PLACEHOLDER_RE.fullmatch(v) or _ALNUM.search(v) is None:
        return None
    return v if len(v) >= 3 else None


def _bearer(v: str) -> str | None:
    return v if len(v) >= 8 and _DIGIT.search(v) else _token(16)(v)


def _jwt(v: str) -> str | None:
    return v if len(v) >= 24 and len(v.split(".", 1)[0]) >= 10 else None


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


@dataclass(frozen=True)
class _Rule:
    category: str
    source: str
    check: Check
    tier: int = 1  # URL passwords 0, known formats 1, cookies 2, generic 3: lower wins
    needle: str = ""  # skip the scan when this lower-case literal is absent
    fold: bool = False  # match the lower-cased text (the value is still taken verbatim)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # Compiled on first use: a rule whose needle never shows up costs nothing.
        return re.compile(self.source)


_VALUE = r"[\"']?[ \t]{0,5}+(?P<sep>[=:])[ \t]{0,5}+[\"']?(?P<v>[^\s&;,\"'<>]++)"
_KV_NAMES = (
    "passw(?:or)?d",
    "pwd",
    "secret",
    "token",
    "api[_-]?key",
    "access[_-]?key",
    "private[_-]?key",
    "auth",
)
_PHONE_LABELS = ("phone", "tel", "telephone", "mobile", "cell", "fax", "whatsapp")
# Card numbers and North American phone numbers share one scan: both start at a digit (or
# "(") that is not inside a word, a number or a path. A grouped card number must not follow
# another digit group either, so a long run of "4242 " is tried once, not at every group.
_DIGITS = re.compile(
    r"[0-9(](?<![\w.\-/:+][0-9(])(?:"
    r"(?P<card>(?<=[0-9])(?:(?<![0-9][ \-][0-9])(?:"
    r"[0-9]{3}([ \-])[0-9]{4}\2[0-9]{4}\2[0-9]{4}(?:\2[0-9]{3})?"
    r"|[0-9]{3}([ \-])[0-9]{6}\3[0-9]{4,5})"
    r"|[0-9]{12,18}+)(?![\w\-/:]|[.,][0-9]))"
    r"|(?P<phone>(?:(?<=\()[0-9]{3}\)[ .\-]?[0-9]{3}[ .\-][0-9]{4}|(?<=[0-9])[0-9]{2}-[0-9]{3}-"
    r"[0-9]{4}|(?<=[0-9])[0-9]{2}\.[0-9]{3}\.[0-9]{4})(?![\w\-/:]|[.\-][0-9])))"
)

_RULES: list[_Rule] = [
    _Rule("password", r"://[^\s:/@?#]{0,256}+:(?P<v>[^\s/@?#]{1,256}+)@", _secret_value, 0, "://"),
    _Rule(
        "private_key",
        r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----(?P<v>[^-]*+)"
        r"-----END[^-\n]{0,60}+-----",
        lambda v: v.strip() or None,
        0,
        "private",
    ),
    _Rule("openai_key", _lb("sk-") + r"[A-Za-z0-9_\-]{20,}+", _openai, needle="sk-"),
    _Rule("stripe_key", _lb("sk_(?:live|test)_") + "[A-Za-z0-9]*+", _token(16), needle="sk_"),
    _Rule("stripe_key", _lb("rk_(?:live|test)_") + "[A-Za-z0-9]*+", _token(16), needle="rk_"),
    _Rule("github_token", _lb("gh[pousr]_") + "[A-Za-z0-9_]*+", _token(24), needle="gh"),
    _Rule("github_token", _lb("github_pat_") + "[A-Za-z0-9_]*+", _token(24), needle="pat_"),
    _Rule("slack_token", _lb("xox[abprse]-") + r"[A-Za-z0-9\-]*+", _token(14), needle="xox"),
    _Rule("google_key", _lb("AIza") + r"[A-Za-z0-9_\-]*+", _token(34), needle="aiza"),
    _Rule(
        "aws_key",
        _lb("A(?:KIA|SIA|ROA|IDA|GPA|NPA)", "A-Za-z0-9") + "[A-Z0-9]{16}(?![A-Za-z0-9])",
        _same,
    ),
    _Rule(
        "aws_secret",
        r"aws_?secret_?access_?key[\"']?[ \t]{0,5}+[=:][ \t]{0,5}+[\"']?"
        r"(?P<v>[a-z0-9/+=]{40})(?![a-z0-9/+=])",
        _same,
        needle="aws",
        fold=True,
    ),
    _Rule(
        "jwt",
        _lb("eyJ") + r"[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+"
        r"(?>(?:\.[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+)?)",
        _jwt,
        needle="eyj",
    ),
    _Rule(
        "cvc",
        r"c(?:vc|vv|sc)(?<!\wc..)2?[ \t]{0,3}+[:#=]?[ \t]{0,3}+(?P<v>\d{3,4})(?!\d)",
        _same,
        needle="c",
        fold=True,
    ),
    _Rule(
        "phone", r"\+(?<![\w+]\+)\d{1,3}+(?>(?:[ .\-]?+\(?+\d{1,5}+\)?+){1,6})", _phone, needle="+"
    ),
    *(
        _Rule(
            "phone",
            rf"{label}(?<!\w{label})(?:[ \t]?(?:no\.?|number|#))?[ \t]{{0,3}}+"
            r"[:=]?[ \t]{0,3}+(?P<v>\+?\(?\d(?>(?:[ ().\-]{0,2}+\d){6,14}))",
            _phone,
            needle=label[:3],
            fold=True,
        )
        for label in _PHONE_LABELS
    ),
    _Rule(
        "bearer_token",
        r"bearer[ \t]++(?P<v>[a-z0-9\-._~+/]{8,}+=*+)",
        _bearer,
        3,
        "bearer",
        fold=True,
    ),
    _Rule(
        "secret",
        r"authorization[\"']?[ \t]{0,5}+[:=][ \t]{0,5}+[\"']?(?:basic|token|digest)"
        r"[ \t]++(?P<v>[^\s\"',;]++)",
        _secret_value,
        3,
        "authorization",
        fold=True,
    ),
    *(
        _Rule(
            "password" if name.startswith(("passw", "pwd")) else "secret",
            rf"{name}(?:[_-]?(?:key|token|access_key|id))?{_VALUE}",
            _secret_value,
            3,
            name[:3],
            fold=True,
        )
        for name in _KV_NAMES
    ),
]

_EMAIL_DOMAIN = re.compile(r"@[\w\-]++(?>(?:\.[\w\-]++)+)")
_EMAIL_LOCAL_REVERSED = re.compile(r"[\w+\-][\w.+\-]{0,127}+")
# "icon@2x.png" and "pkg@1.2.3" are not addresses.
_NOT_TLD = frozenset(
    (
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "js",
        "mjs",
        "ts",
        "tsx",
        "css",
        "map",
        "py",
        "json",
        "txt",
        "log",
    )
)
_COOKIE = re.compile(r"cookie[ \t]{0,4}+:[ \t]{0,4}+(?P<v>[^\r\n\"']*+)")
_COOKIE_PAIR = re.compile(r"(?<![^;\s:])[ \t]*+(?P<name>[^=;:\s]++)[ \t]*+=[ \t]*+(?P<v>[^;]*+)")


def _rule_candidates(text: str, folded: str) -> Iterator[Candidate]:
    for rule in _RULES:
        if rule.needle and rule.needle not in folded:
            continue
        group = "v" if "v" in rule.pattern.groupindex else 0
        kv = "sep" in rule.pattern.groupindex
        for m in rule.pattern.finditer(folded if rule.fold else text):
            s, e = m.span(group)
            value = text[s:e]
            if kv and m.group("sep") == ":" and not _random_looking(value, 6):
                continue  # "token: expired" is prose; "token=abc" is not
            ident = rule.check(value)
            if ident is not None:
                yield s, e, rule.tier, rule.category, ident


def _digit_candidates(text: str) -> Iterator[Candidate]:
    for m in _DIGITS.finditer(text):
        category = "card" if m.group("card") else "phone"
        ident = (_card if category == "card" else _phone)(m.group())
        if ident is not None:
            yield m.start(), m.end(), 1, category, ident


def _email_candidates(text: str, reporter: str | None) -> Iterator[Candidate]:
    # Anchored on "@" + a dotted domain, then the local part is read backwards: a pattern
    # that started at the local part would be tried at every word of the text.
    for m in _EMAIL_DOMAIN.finditer(text):
        at = m.start()
        local = _EMAIL_LOCAL_REVERSED.match(text[max(0, at - 128) : at][::-1])
        if local is None:
            continue
        start = at - local.end()
        domain = m.group()[1:]
        tld = domain.rsplit(".", 1)[-1]
        if text[start] == "." or len(tld) < 2 or tld.isdigit() or tld.lower() in _NOT_TLD:
            continue
        ident = text[start : m.end()].casefold()
        if ident != reporter:
            yield start, m.end(), 1, "email", ident


def _cookie_candidates(text: str, folded: str) -> Iterator[Candidate]:
    for m in _COOKIE.finditer(folded):
        is_set = folded[max(0, m.start() - 4) : m.start()] == "set-"
        base = m.start("v")
        for n, pair in enumerate(_COOKIE_PAIR.finditer(text, base, m.end("v"))):
            if is_set and n:
                break  # Set-Cookie: the rest are attributes (Path, Expires, HttpOnly...)
            value = pair.group("v").rstrip()
            if value and not _PLACEHOLDER_RE.fullmatch(value):
                s = pair.start("v")
                yield s, s + len(value), 2, "cookie", value


def _candidates(text: str, reporter: str | None) -> list[Candidate]:
    folded = fold(text)
    found = list(_rule_candidates(text, folded))
    found.extend(_digit_candidates(text))
    if "@" in text:
        found.extend(_email_candidates(text, reporter))
    if "cookie" in folded:
        found.extend(_cookie_candidates(text, folded))
    return found


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
        self._reporter = reporter or None
        self._by_value: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._counts: dict[str, int] = {}

    def _placeholder(self, category: str, ident: str, original: str) -> str:
        # Keyed by value alone: a token seen as a bearer token and later as "token=..." is
        # still one secret, with the placeholder of the category it was first seen as.
        found = self._by_value.get(ident)
        if found is not None:
            return found
        n = self._next.get(category, 0) + 1
        self._next[category] = n
        placeholder = f"[{_CATEGORIES[category][0]}-{n}]"
        self._by_value[ident] = placeholder
        self._originals[placeholder] = original
        self._counts[category] = self._counts.get(category, 0) + 1
        return placeholder

    def redact(self, text: str) -> RedactedText:
        """Replace every secret in ``text``; everything else is kept verbatim."""
        norm, maps = normalise(text)
        spans = _select(_candidates(norm, self._reporter))
        if not spans:
            return RedactedText(text, ())
        parts: list[str] = []
        found: list[Redaction] = []
        last = out_len = 0
        for s, e, _tier, category, ident in spans:
            value = norm[s:e]
            for m in maps:
                s, e = m.start(s), m.end(e)
            if s < last:  # two matches inside one decoded escape: the first one covers it
                continue
            placeholder = self._placeholder(category, ident, value)
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
        parts = [count_label(c, self._counts[c]) for c in _CATEGORIES if self._counts.get(c)]
        return ", ".join(parts) + " removed" if parts else "nothing removed"


def count_label(category: str, n: int) -> str:
    """``"2 API keys"``: a count with the category's name for people."""
    plain = category.replace("_", " ")
    _stem, one, many = _CATEGORIES.get(category, ("", plain, plain + "s"))
    return counted(n, one, many)


def counts_text(counts: dict[str, int]) -> str:
    """``"2 API keys, 1 other email"``: every non-zero count, secrets first."""
    order = list(_CATEGORIES)

    def rank(category: str) -> tuple[int, str]:
        return (order.index(category) if category in order else len(order), category)

    return ", ".join(count_label(c, counts[c]) for c in sorted(counts, key=rank) if counts[c] > 0)


def category_of(placeholder: str) -> str | None:
    """The category of a placeholder such as ``[EMAIL-2]``, or None if it is not ours."""
    stem = placeholder.strip("[]").rsplit("-", 1)[0]
    return next((c for c, (s, _one, _many) in _CATEGORIES.items() if s == stem), None)


def redact_text(text: str, reporter_email: str | None = None) -> str:
    """Redact ``text`` with a fresh :class:`Redactor` and return only the text."""
    return Redactor(reporter_email).redact(text).text
