"""Secret and PII scrubbing of text, with placeholders that stay consistent per value.

Matching runs on a normalised copy of the text (ANSI escapes and zero-width characters
removed, a few percent-escapes decoded, keys wrapped across lines joined), with an offset
map back to the original; the output keeps the original text verbatim outside the spans
that were replaced.

A value once found to be secret (a cookie's value, a token) is remembered: wherever it
shows up again, in a URL, a ``Location`` header or a log line, it gets the same placeholder
even where no rule would have recognised it.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from escalate.privacy.cookies import text_spans
from escalate.privacy.normalise import fold, normalise
from escalate.privacy.rules import PLACEHOLDER_RE, Candidate, digit_candidates, rule_candidates
from escalate.privacy.shapes import shape_candidates
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
    "service_token": ("SERVICE-TOKEN", "service token", "service tokens"),
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
    "ip_address": ("IP", "IP address", "IP addresses"),
    "user_name": ("USER", "user name in a path", "user names in paths"),
    # Not placeholders: what the HAR sanitiser drops whole.
    "request_body": ("REQUEST-BODY", "request body", "request bodies"),
    "response_body": ("RESPONSE-BODY", "response body", "response bodies"),
}
# Values of these are remembered verbatim; the others are matched by a normalised identity
# (digits of a card, an address in lower case), so they are found again by their rule.
_NOT_REMEMBERED = frozenset({"email", "phone", "card", "cvc", "ip_address", "user_name"})
# Categories whose span is a whole value, which may hold what another rule found first.
_CONTAINERS = frozenset({"cookie", "secret", "password", "bearer_token"})
# Shorter values ("1", "true", "enable") would be found inside ordinary words; six
# characters with a digit among them ("a1b2c3") are a value.
_REMEMBER_MIN = 6
_DIGIT = re.compile(r"\d")
# Where a remembered value may start: the start of the text or after a separator.
# A separator first (``re`` skips fast to one), then the value's first characters.
_SEPARATOR = r"[\s=&;?/#:\"',()\[\]{}<>|\\]"
_VALUE_START = re.compile(rf"{_SEPARATOR}(?=(\S{{6}}))")
_FIRST_VALUE = re.compile(r"\S{6}")
_SEPARATOR_CHAR = re.compile(_SEPARATOR)
_FEW = 64  # remembered values searched for one by one


@dataclass(frozen=True, slots=True)
class Redaction:
    """One replaced span; ``start``/``end`` index the OUTPUT text."""

    category: str
    placeholder: str
    start: int
    end: int


class _Spans:
    """Where placeholders went, in columns: a paste may hold millions of them, and a
    :class:`Redaction` each would cost ten times the memory of these arrays."""

    def __init__(self) -> None:
        self.starts = array("q")
        self.categories: list[str] = []
        self.placeholders: list[str] = []

    def add(self, start: int, category: str, placeholder: str) -> None:
        self.starts.append(start)
        self.categories.append(category)
        self.placeholders.append(placeholder)

    def redactions(self) -> tuple[Redaction, ...]:
        return tuple(
            Redaction(c, p, s, s + len(p))
            for s, c, p in zip(self.starts, self.categories, self.placeholders, strict=True)
        )


class RedactedText:
    """Redacted text and what was replaced in it."""

    def __init__(self, text: str, redactions: tuple[Redaction, ...] | _Spans = ()) -> None:
        self.text = text
        self._spans = redactions

    @property
    def redactions(self) -> tuple[Redaction, ...]:
        """Every replaced span, in order (made when asked for)."""
        spans = self._spans
        return spans.redactions() if isinstance(spans, _Spans) else spans

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RedactedText):
            return NotImplemented
        return self.text == other.text and self.redactions == other.redactions

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RedactedText({self.text!r}, {self.redactions!r})"


# --------------------------------------------------------------------------- detectors

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
    for s, e in text_spans(text, folded):
        value = text[s:e]
        if not PLACEHOLDER_RE.fullmatch(value):
            yield s, e, 2, "cookie", value


def _candidates(text: str, reporter: str | None) -> list[Candidate]:
    folded = fold(text)
    found = list(rule_candidates(text, folded))
    found.extend(digit_candidates(text))
    if "@" in text:
        found.extend(_email_candidates(text, reporter))
    if "cookie" in folded:
        found.extend(_cookie_candidates(text, folded))
    found.extend(shape_candidates(text, folded, reporter))
    return found


class _Known:
    """Secret values seen before, looked up by their first characters.

    A few values are searched for one by one (``str.find`` runs in C); many (a HAR's
    cookies) are looked up at every place a value can start.
    """

    def __init__(self) -> None:
        self.by_prefix: dict[str, list[tuple[str, str]]] = {}

    def _found(self, text: str) -> Iterator[Candidate]:
        for bucket in self.by_prefix.values():
            for value, category in bucket:
                s = text.find(value)
                while s >= 0:
                    e = s + len(value)
                    if (s == 0 or _SEPARATOR_CHAR.match(text, s - 1)) and not text[
                        e : e + 1
                    ].isalnum():
                        yield s, e, 2, category, value
                    s = text.find(value, s + 1)

    def add(self, value: str, category: str) -> None:
        if len(value) < _REMEMBER_MIN or category in _NOT_REMEMBERED:
            return
        if len(value) < 8 and _DIGIT.search(value) is None:
            return
        bucket = self.by_prefix.setdefault(value[:_REMEMBER_MIN], [])
        if all(v != value for v, _c in bucket):
            bucket.append((value, category))
            bucket.sort(key=lambda item: -len(item[0]))  # the longest value wins

    def candidates(self, text: str) -> Iterator[Candidate]:
        if not self.by_prefix:
            return
        if len(self.by_prefix) <= _FEW:
            yield from self._found(text)
            return
        first = _FIRST_VALUE.match(text)
        starts = [(0, first.group())] if first else []
        after = ((m.end(), m.group(1)) for m in _VALUE_START.finditer(text))
        for s, prefix in chain(starts, after):
            bucket = self.by_prefix.get(prefix)
            if bucket is None:
                continue
            for value, category in bucket:
                e = s + len(value)
                if text.startswith(value, s) and not text[e : e + 1].isalnum():
                    yield s, e, 2, category, value
                    break


def _select(cands: list[Candidate]) -> list[Candidate]:
    """Non-overlapping spans: lower tiers win, then the earliest and longest span.

    A later value span (of a cookie, a password) that holds earlier ones whole replaces them:
    a cookie whose value has an IP address in it goes as one cookie value, never in halves.
    Tier 0 matches (a URL's password, a key block) are exact and never swallowed.
    """
    chosen: list[Candidate] = []  # sorted, never overlapping; one merge per tier
    for tier in sorted({c[2] for c in cands}):
        merged: list[Candidate] = []
        i = 0
        for c in sorted((c for c in cands if c[2] == tier), key=lambda c: (c[0], -c[1])):
            while i < len(chosen) and chosen[i][1] <= c[0]:
                merged.append(chosen[i])
                i += 1
            if merged and merged[-1][1] > c[0]:
                continue
            j = i
            while j < len(chosen) and chosen[j][0] < c[1]:
                j += 1
            inside = chosen[i:j]
            if not inside:
                merged.append(c)
            elif (
                c[3] in _CONTAINERS
                and all(c[0] <= x[0] and x[1] <= c[1] and x[2] > 0 for x in inside)
                and (c[1] - c[0] > max(x[1] - x[0] for x in inside))
            ):
                merged.append(c)
                i = j
        merged.extend(chosen[i:])
        chosen = merged
    return chosen


# --------------------------------------------------------------------------- the redactor

_PIECE = 1 << 18
# A cut goes after a line end, before a line that continues nothing: not indented (a wrapped
# key), not a cookie of a Set-Cookie list, and not inside a key block.
_CUT_BEFORE_BAD = re.compile(r"[ \t]|[!#$%&'*+.^_`|~0-9A-Za-z\-]{1,64}+=")
_LAST_RESORT = (re.compile(r"[ ,;]"), re.compile(r"[^\w.+/=\-]"))


def _cut(text: str, start: int) -> int:
    """Where the piece that starts at ``start`` ends (``len(text)``: it is the last)."""
    n = len(text)
    if start + _PIECE >= n:
        return n
    pos = start + _PIECE
    limit = min(n, start + 4 * _PIECE)
    begin, end = text.rfind("-----BEGIN ", start, pos), text.rfind("-----END ", start, pos)
    while pos < limit:
        nl = text.find("\n", pos, limit)
        if nl < 0:
            break
        # Only the text since the last look is searched: one pass over the piece in all.
        begin = max(begin, text.rfind("-----BEGIN ", max(start, pos - 10), nl + 1))
        end = max(end, text.rfind("-----END ", max(start, pos - 8), nl + 1))
        pos = nl + 1
        if begin <= end and not _CUT_BEFORE_BAD.match(text, pos):
            return pos
    # One enormous line: a cut between words only risks a value that has spaces in it, a cut
    # at other punctuation one that has that; a line of 1M token characters is cut anywhere.
    for pattern in _LAST_RESORT:
        m = pattern.search(text, start + _PIECE, limit)
        if m:
            return m.end()
    return limit


_COOKIE_HEADER = re.compile(r"(?<![\w\-])(set-)?cookie2?[\"']?[ \t]{0,4}+[:=]", re.IGNORECASE)


def _cookie_context(text: str, start: int, end: int, previous: str) -> str:
    """The header to read the next piece under, when this one ends inside a cookie header."""
    if end >= len(text) or text[end - 1] == "\n":
        return ""
    line = text.rfind("\n", start, end) + 1 or start
    headers = list(_COOKIE_HEADER.finditer(text, line, end))
    if not headers:
        return previous if line == start else ""
    return "Set-Cookie: x=y; " if headers[-1].group(1) else "Cookie: "


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while start < len(text):
        end = _cut(text, start)
        yield start, end
        start = end



class Redactor:
    """Scrubs secrets and PII; the same value gets the same placeholder on every call."""

    def __init__(self, reporter_email: str | None = None) -> None:
        reporter = reporter_email.strip().casefold() if reporter_email else None
        self._reporter = reporter or None
        self._by_value: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._known = _Known()

    def remember(self, value: str, category: str) -> str:
        """The placeholder for ``value``, known to be a secret of ``category`` (a cookie's
        value, say); later text that repeats it is scrubbed too."""
        self._known.add(value, category)
        return self._placeholder(category, value, value)

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
        """Replace every secret in ``text``; everything else is kept verbatim.

        A long text is matched piece by piece, cut only between lines that no secret can
        span, so memory stays flat on a paste with millions of matches.
        """
        spans = _Spans()
        if len(text) <= _PIECE:
            return RedactedText(self._redact(text, 0, spans), spans)
        parts: list[str] = []
        out_len = 0
        context = ""
        for s, e in _pieces(text):
            # A piece cut out of one long cookie header is read as one, header name and all.
            out = self._redact(context + text[s:e], out_len - len(context), spans)[len(context) :]
            context = _cookie_context(text, s, e, context)
            parts.append(out)
            out_len += len(out)
        return RedactedText("".join(parts), spans)

    def _redact(self, text: str, out_offset: int, spans: _Spans) -> str:
        norm, maps = normalise(text)
        found_here = _candidates(norm, self._reporter)
        for _s, _e, _tier, category, ident in found_here:
            self._known.add(ident, category)
        chosen = _select([*found_here, *self._known.candidates(norm)])
        del found_here
        if not chosen:
            return text
        parts: list[str] = []
        last = 0
        out_len = out_offset
        for s, e, _tier, category, ident in chosen:
            value = norm[s:e]
            for m in maps:
                s, e = m.start(s), m.end(e)
            if s < last:  # two matches inside one decoded escape: the first one covers it
                continue
            placeholder = self._placeholder(category, ident, value)
            parts.append(text[last:s])
            out_len += s - last
            parts.append(placeholder)
            if out_len >= 0:  # not in the context put before a piece
                spans.add(out_len, category, placeholder)
            out_len += len(placeholder)
            last = e
        parts.append(text[last:])
        return "".join(parts)

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
