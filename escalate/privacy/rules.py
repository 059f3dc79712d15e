"""The detection rules: each secret or PII shape as a pattern and a check on its value.

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

from escalate.privacy.normalise import token_start as _lb

Candidate = tuple[int, int, int, str, str]  # (start, end, tier, category, identity)
Check = Callable[[str], str | None]  # value -> identity for the mapping, or None to keep it

PLACEHOLDER_RE = re.compile(r"\[[A-Z]+(?:-[A-Z]+)*(?:-\d+)?\]")  # ours, or [REDACTED]


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
    if PLACEHOLDER_RE.fullmatch(v) or _ALNUM.search(v) is None:
        return None
    return v if len(v) >= 3 else None


def _bearer(v: str) -> str | None:
    return v if len(v) >= 8 and _DIGIT.search(v) else _token(16)(v)


def _jwt(v: str) -> str | None:
    parts = v.split(".")
    if len(parts) == 2:  # unsigned (alg "none"): the payload must be one too
        return v if len(parts[0]) >= 10 and parts[1].startswith("eyJ") and len(v) >= 24 else None
    return v if len(v) >= 24 and len(parts[0]) >= 10 else None


def _digits(v: str) -> str:
    return "".join(c for c in v if c.isdigit())


def _phone(v: str) -> str | None:
    d = _digits(v)
    return d if 7 <= len(d) <= 15 else None


def _national(v: str) -> str | None:
    d = _digits(v)  # a trunk "0" and 9 to 11 digits: shorter runs are codes and counts
    return d if 9 <= len(d) <= 11 else None


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


# name = value, name: value, name => value, name := value, "name": "value". A quoted value
# is taken whole up to its closing quote, spaces and all; an unquoted one ends at a space.
_VALUE = (
    r"[\"']?[ \t]{0,5}+(?P<sep>=>|:=|->|[=:])[ \t]{0,5}+"
    r"(?:\"(?P<dq>[^\"\r\n]{1,512}+)\"|'(?P<sq>[^'\r\n]{1,512}+)'|(?P<v>[^\s&;,\"'`]++))"
)
# "password_super_secure =" names a password too, "token_count =" or "max_tokens =" does not.
_NAME_TAIL = (
    r"(?>(?:[_\-.](?!(?:count|limits?|type|url|uri|endpoint|expir\w*|ttl|length|len|size|max|usage"
    r"|file|path|field|name|hint|policy|reset|strength|format|required|enabled)\b)"
    r"[a-z0-9]{1,20}+){0,3})"
)
_KV_NAMES = (
    "passw(?:or)?d",
    "session[_-]?(?:id|key|token)",
    "passphrase",
    "credentials?",
    "pwd",
    "secret",
    "token",
    "api[_-]?key",
    "access[_-]?key",
    "private[_-]?key",
    "auth",
)
# Tokens of other services, by their documented prefix: (prefix, characters, least length
# after the prefix, needle).
_SERVICE_TOKENS = (
    ("npm_", "A-Za-z0-9", 30, "npm_"),
    ("glpat-", "A-Za-z0-9_\\-", 20, "glpat-"),
    ("glptt-", "A-Za-z0-9_\\-", 20, "glptt-"),
    ("glrt-", "A-Za-z0-9_\\-", 20, "glrt-"),
    ("gldt-", "A-Za-z0-9_\\-", 20, "gldt-"),
    ("hf_", "A-Za-z0-9", 30, "hf_"),
    ("pypi-", "A-Za-z0-9_\\-", 50, "pypi-"),
    ("SG\\.", "A-Za-z0-9_.\\-", 60, "sg."),
    ("shp(?:at|ss|ca|pa)_", "a-fA-F0-9", 32, "shp"),
    ("dop_v1_", "a-f0-9", 60, "dop_v1_"),
    ("do[or]_v1_", "a-f0-9", 60, "_v1_"),
    ("sq0(?:atp|csp)-", "A-Za-z0-9_\\-", 22, "sq0"),
    ("xkeysib-", "a-zA-Z0-9\\-", 60, "xkeysib-"),
    ("lin_api_", "A-Za-z0-9", 40, "lin_api_"),
    ("ntn_", "A-Za-z0-9", 40, "ntn_"),
    ("secret_", "A-Za-z0-9", 43, "secret_"),
)
# Phone numbers without a label or "+": an international "00" prefix, or a national number
# with its trunk "0" (North American ones are in _DIGITS).
_MORE_PHONES = (
    (r"00(?<![\w.+\-/:]00)[1-9]\d{0,2}+(?>(?:[ .\-]?+\(?+\d{1,5}+\)?+){2,6})", _phone, "00"),
    (
        r"0(?<![\w.+\-/:]0)\d{2,4}+[ \-]\d{3,8}+(?>(?:[ \-]?+\d{3,4}+)?)(?![\w\-/:]|[.,]\d)",
        _national,
        "0",
    ),
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
    r"[0-9]{4}|(?<=[0-9])[0-9]{2}\.[0-9]{3}\.[0-9]{4}"
    r"|(?<=[0-9])[0-9]{2} [0-9]{3} [0-9]{4}(?! [0-9])"
    r"|(?<=1)(?P<nanp>[\-. ])[0-9]{3}(?P=nanp)[0-9]{3}(?P=nanp)[0-9]{4})(?![\w\-/:]|[.\-][0-9])))"
)

_RULES: list[_Rule] = [
    # The password runs to the last "@" before the host, so "p@ss" goes whole.
    _Rule(
        "password",
        r"://[^\s:/@?#]{0,256}+:(?P<v>[^\s/?#]{1,256})@(?=[^\s@/?#]{1,253}+(?:[/?#:\s\"'<>]|$))",
        _secret_value,
        0,
        "://",
    ),
    _Rule("openai_key", _lb("sk-") + r"[A-Za-z0-9_\-]{20,}+", _openai, needle="sk-"),
    _Rule(
        "stripe_key", _lb("[sr]k_(?:live|test|prod)_") + "[A-Za-z0-9]*+", _token(16), needle="k_"
    ),
    _Rule("stripe_key", _lb("whsec_") + "[A-Za-z0-9]*+", _token(24), needle="whsec_"),
    _Rule("github_token", _lb("gh[pousr]_") + "[A-Za-z0-9_]*+", _token(24), needle="gh"),
    _Rule("github_token", _lb("github_pat_") + "[A-Za-z0-9_]*+", _token(24), needle="pat_"),
    _Rule("slack_token", _lb("xox[abprse]-") + r"[A-Za-z0-9\-]*+", _token(14), needle="xox"),
    _Rule("slack_token", _lb("xoxe\\.xox[bp]-") + r"[A-Za-z0-9\-]*+", _token(14), needle="xoxe."),
    _Rule("slack_token", _lb("xapp-") + r"[A-Za-z0-9\-]*+", _token(20), needle="xapp-"),
    _Rule(
        "slack_token",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9_/\-]{16,}+)",
        _same,
        needle="hooks.slack",
    ),
    _Rule("aws_key", _lb("ABSK", "A-Za-z0-9+/") + "[A-Za-z0-9+/]{40,}+=*+", _same, needle="absk"),
    _Rule(
        "aws_key",
        _lb("bedrock-api-key-") + "[A-Za-z0-9+/%=]{20,}+",
        _same,
        needle="bedrock-api-key-",
    ),
    *(
        _Rule("service_token", _lb(prefix, chars) + f"[{chars}]*+", _token(minimum), needle=needle)
        for prefix, chars, minimum, needle in _SERVICE_TOKENS
    ),
    _Rule(
        "service_token",
        r"accountkey=(?P<v>[a-z0-9+/]{40,}+={0,2})",
        _same,
        needle="accountkey=",
        fold=True,
    ),
    _Rule(
        "service_token",
        r"discord(?:app)?\.com/api/webhooks/\d{5,20}/(?P<v>[A-Za-z0-9_\-]{20,}+)",
        _same,
        needle="/webhooks/",
    ),
    _Rule(
        "service_token",
        r":(?P<v>AA(?<=[0-9]{8}:AA)[A-Za-z0-9_\-]{30,}+)",  # a Telegram bot's, after its id
        _same,
        needle=":aa",
    ),
    *(_Rule("phone", source, check, needle=needle) for source, check, needle in _MORE_PHONES),
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
        _lb("eyJ") + r"[A-Za-z0-9_\-]*+\.[A-Za-z0-9_\-]*+(?>(?:\.[A-Za-z0-9_\-]*+)?)"
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
        "phone",
        r"\+(?<![\w+]\+)\d{1,3}+(?>(?:[ .\-]?+\(?+\d{1,5}+\)?+){1,6})",
        _phone,
        needle="+",
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
    _Rule(
        "secret",
        r"<(?P<tag>(?:[a-z_]{0,20}[_-])?(?:password|passwd|token|secret|api[_-]?key|credentials?"
        r"|private[_-]?key))>(?P<v>[^<]{1,512}+)</(?P=tag)>",
        _secret_value,
        1,
        "</",
        fold=True,
    ),
    _Rule(
        "password",
        # curl's and wget's user:password, not docker's user:group or sort's -u
        r"(?:curl|wget)(?<![\w-]curl)(?<![\w-]wget)[^\n;|&]{0,300}?[ \t]"
        r"-(?:u|-user|-proxy-user|-http-user)(?:[ \t]++|=)"
        r"(?:\"[^\":\s]{1,128}+:(?P<dq>[^\"\r\n]{1,256}+)\""
        r"|'[^':\s]{1,128}+:(?P<sq>[^'\r\n]{1,256}+)'"
        r"|[^\s:\"']{1,128}+:(?P<v>[^\s\"']{1,256}+))",
        _secret_value,
        0,
        "-u",  # in -u, --user, --proxy-user and --http-user alike
    ),
    _Rule("password", rf"pass(?<![a-z]pass)(?![a-z]){_VALUE}", _secret_value, 3, "pass", fold=True),
    _Rule(
        "password",  # mysql's password is glued to -p
        r"mysql(?<![\w-]mysql)(?:dump|admin)?[^\n;|&]{0,300}?[ \t]-p(?P<v>[^\s\"']{1,256}+)",
        _secret_value,
        0,
        "mysql",
    ),
    *(
        _Rule(
            "password" if name.startswith(("passw", "pwd")) else "secret",
            rf"{name}{_NAME_TAIL}{_VALUE}",
            _secret_value,
            3,
            name[:3],
            fold=True,
        )
        for name in _KV_NAMES
    ),
]


_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "ntlm"})


def _value_group(m: re.Match[str]) -> str | int:
    for group in ("v", "dq", "sq"):
        if group in m.re.groupindex and m.group(group) is not None:
            return group
    return 0


def rule_candidates(text: str, folded: str) -> Iterator[Candidate]:
    """Matches of every pattern rule whose needle is in ``folded`` (``text`` lower-cased)."""
    for rule in _RULES:
        if rule.needle and rule.needle not in folded:
            continue
        kv = "sep" in rule.pattern.groupindex
        for m in rule.pattern.finditer(folded if rule.fold else text):
            group = _value_group(m)
            s, e = m.span(group)
            value = text[s:e]
            # "token: expired" is prose; "token=abc" and 'password: "a b c"' are not.
            if kv and group == "v" and m.group("sep") == ":" and not _random_looking(value, 6):
                continue
            if kv and value.lower() in _AUTH_SCHEMES:
                continue  # "Authorization: Bearer ...": the token after it is the secret
            ident = rule.check(value)
            if ident is not None:
                yield s, e, rule.tier, rule.category, ident


def digit_candidates(text: str) -> Iterator[Candidate]:
    """Card numbers (Luhn-checked) and phone numbers written without a label."""
    for m in _DIGITS.finditer(text):
        category = "card" if m.group("card") else "phone"
        ident = (_card if category == "card" else _phone)(m.group())
        if ident is not None:
            yield m.start(), m.end(), 1, category, ident
