"""Redaction: the shared fixture, our own corpus, consistency, spans, speed and fuzzing."""

from __future__ import annotations

import json
import random
import re
import string
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.privacy.redact import RedactedText, Redaction, Redactor
from tests.conftest import HANG_GUARD

HERE = Path(__file__).parents[1]
SHARED = Path(__file__).parents[3] / "shared" / "fixtures" / "redaction_cases.json"
OWN = HERE / "data" / "redaction" / "cases.json"
REPORTER = "me@example.com"


def redact_text(text: str, reporter_email: str | None = None) -> str:
    """Redact ``text`` with a fresh :class:`Redactor` and return only the text."""
    return Redactor(reporter_email).redact(text).text


def _load(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return cases


def _check_case(case: dict[str, Any]) -> None:
    out = Redactor(reporter_email=REPORTER).redact(case["text"]).text
    leaked = [s for s in case["secrets"] if s in out]
    lost = [k for k in case["keep"] if k not in out]
    assert not leaked and not lost, f"leaked={leaked} lost={lost}\noutput={out!r}"


def _shared_cases() -> list[Any]:
    if not SHARED.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SHARED} is absent"))]
    return [pytest.param(c, id=f"shared-{i}") for i, c in enumerate(_load(SHARED))]


@pytest.mark.parametrize("case", _shared_cases())
def test_shared_fixture(case: dict[str, Any]) -> None:
    _check_case(case)


@pytest.mark.parametrize("case", [pytest.param(c, id=f"own-{i}") for i, c in enumerate(_load(OWN))])
def test_own_corpus(case: dict[str, Any]) -> None:
    _check_case(case)


def test_own_corpus_covers_every_category() -> None:
    r = Redactor(reporter_email=REPORTER)
    for case in _load(OWN):
        r.redact(case["text"])
    expected = {"openai_key", "bearer_token", "jwt", "cookie", "password", "secret", "aws_key",
                "aws_secret", "github_token", "slack_token", "stripe_key", "google_key",
                "private_key", "email", "phone", "card", "cvc"}
    assert expected <= set(r.counts)
    assert len(_load(OWN)) >= 40
    assert sum(1 for c in _load(OWN) if not c["secrets"]) >= 5  # false positives to keep


KEY_A = "sk-proj-Qw3rTy7uIoP9aSdFgH1jKlZxCvBnM4qWeRtYuIoP0aSdFgHjKlZx"
KEY_B = "sk-Zx9Cv8Bn7Mq6We5Rt4Yu3Io2Pa1SdFgHjKl0ZxCvBnMqWeRt"


def test_same_value_same_placeholder_across_calls() -> None:
    r = Redactor()
    first = r.redact(f"key {KEY_A} then {KEY_B} then {KEY_A}")
    assert first.text == "key [OPENAI-KEY-1] then [OPENAI-KEY-2] then [OPENAI-KEY-1]"
    second = r.redact(f"again {KEY_B}")
    assert second.text == "again [OPENAI-KEY-2]"
    assert r.counts == {"openai_key": 2}
    assert r.mapping == {"[OPENAI-KEY-1]": KEY_A, "[OPENAI-KEY-2]": KEY_B}
    assert r.summary() == "2 API keys removed"


def test_split_and_encoded_forms_of_one_key_share_a_placeholder() -> None:
    r = Redactor()
    split = KEY_A[:20] + "\u200b" + KEY_A[20:]
    encoded = KEY_A.replace("-", "%2D")
    out = r.redact(f"{KEY_A} | {split} | {encoded}")
    assert out.text == "[OPENAI-KEY-1] | [OPENAI-KEY-1] | [OPENAI-KEY-1]"


def test_placeholders_are_per_category() -> None:
    r = Redactor()
    text = r.redact(f"{KEY_A} bob@corp.example.org alice@corp.example.org bob@corp.example.org")
    assert text.text == "[OPENAI-KEY-1] [EMAIL-1] [EMAIL-2] [EMAIL-1]"
    assert r.counts == {"openai_key": 1, "email": 2}
    assert r.summary() == "1 API key, 2 other emails removed"


def test_reporter_email_is_kept_in_any_case() -> None:
    r = Redactor(reporter_email="Me@Example.COM")
    out = r.redact("from me@example.com and ME@EXAMPLE.com to other@example.com")
    assert out.text == "from me@example.com and ME@EXAMPLE.com to [EMAIL-1]"
    assert r.counts == {"email": 1}


def test_nothing_removed() -> None:
    r = Redactor()
    out = r.redact("The upload failed at 14:22 with error 413.")
    assert out == RedactedText("The upload failed at 14:22 with error 413.", ())
    assert r.summary() == "nothing removed"
    assert r.counts == {} and r.mapping == {}


def test_spans_index_the_output_and_everything_else_is_verbatim() -> None:
    original = (
        "\x1b[31mERROR\x1b[0m token=abc123XYZ \u200b\nkey "
        + KEY_A
        + " mail x@corp.example.org\ttab\r\nend"
    )
    out = Redactor().redact(original)
    assert [r.category for r in out.redactions] == ["secret", "openai_key", "email"]
    for red in out.redactions:
        assert out.text[red.start : red.end] == red.placeholder
    # Undo the placeholders: what is left is exactly the original minus the secrets.
    rebuilt = out.text
    mapping = {
        "[SECRET-1]": "abc123XYZ", "[OPENAI-KEY-1]": KEY_A, "[EMAIL-1]": "x@corp.example.org"
    }
    for red in reversed(out.redactions):
        rebuilt = rebuilt[: red.start] + mapping[red.placeholder] + rebuilt[red.end :]
    assert rebuilt == original


def test_ansi_inside_a_key_is_covered_and_outside_kept() -> None:
    text = f"\x1b[1mkey:\x1b[0m {KEY_A[:12]}\x1b[32m{KEY_A[12:]}\x1b[0m!"
    assert redact_text(text) == "\x1b[1mkey:\x1b[0m [OPENAI-KEY-1]\x1b[0m!"


def test_wrapped_key_is_joined_but_next_line_prose_is_not() -> None:
    text = f"Authorization: Bearer {KEY_A[:32]}\n        {KEY_A[32:]}\nThe key above stopped"
    out = redact_text(text)
    assert out == "Authorization: Bearer [OPENAI-KEY-1]\nThe key above stopped"


def test_two_keys_on_consecutive_lines_stay_two() -> None:
    out = redact_text(f"{KEY_A}\n{KEY_B}\n")
    assert out == "[OPENAI-KEY-1]\n[OPENAI-KEY-2]\n"


def test_api_key_param_gets_the_key_placeholder() -> None:
    out = redact_text(f"GET /v1/models?api_key={KEY_A}&format=json")
    assert out == "GET /v1/models?api_key=[OPENAI-KEY-1]&format=json"


def test_set_cookie_keeps_attributes() -> None:
    out = redact_text("Set-Cookie: sid=k2v9q8x7; Path=/; Max-Age=60; HttpOnly\nCookie: a=1; b=two")
    assert out == (
        "Set-Cookie: sid=[COOKIE-1]; Path=/; Max-Age=60; HttpOnly\n"
        "Cookie: a=[COOKIE-2]; b=[COOKIE-3]"
    )


def test_redact_is_idempotent_on_its_output() -> None:
    text = f"api_key={KEY_A} password=hunter2 Cookie: s=abc123 Bearer 1234567890abcdef"
    once = redact_text(text)
    assert redact_text(once) == once


def test_redaction_is_frozen() -> None:
    red = Redaction("email", "[EMAIL-1]", 0, 9)
    with pytest.raises(AttributeError):
        red.start = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- hostile input

MB = 1024 * 1024
HOSTILE = {
    "sk-run": lambda n: "sk-" * (n // 3),
    "sk-short": lambda n: "sk-abc " * (n // 7),
    "at-run": lambda n: "a@" * (n // 2),
    "digit-spaces": lambda n: "1 " * (n // 2),
    "card-groups": lambda n: "4242 " * (n // 5),
    "eyJ-run": lambda n: "eyJ" * (n // 3),
    "eyJ-dots": lambda n: "eyJ." * (n // 4),
    "bearer-run": lambda n: "Bearer " * (n // 7),
    "equals": lambda n: "=" * n,
    "percent": lambda n: "%" * n,
    "token-eq": lambda n: "token=" * (n // 6),
    "token-equals": lambda n: "token" + "=" * n,
    "percent-escapes": lambda n: "%2D%40x" * (n // 7),
    "ansi-colours": lambda n: "\x1b[31mx\x1b[0m " * (n // 12),
    "zero-width": lambda n: "\u200bab" * (n // 3),
    "plus-digits": lambda n: "+1 " * (n // 3),
    "cookie-run": lambda n: "Cookie: " * (n // 8),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_hostile_input_does_not_backtrack(shape: str) -> None:
    # Backtracking on 2 MB of these shapes would take hours, so the bound is a guard
    # against that hang only; the speed on 10 MB of them is the bench's redaction case
    # (docs/performance.md).
    text = HOSTILE[shape](2 * MB)
    start = time.perf_counter()
    Redactor().redact(text)
    assert time.perf_counter() - start < HANG_GUARD


def test_mixed_realistic_10mb() -> None:
    rng = random.Random(3)
    lines = [
        "2025-03-05T14:22:31.123Z INFO request x-request-id=req_3cfb8508bc184d1e125e3a8ed513a40f",
        "openai-processing-ms: 1873 status=429 retry-after: 20",
        f"ERROR Incorrect API key provided: {KEY_A}",
        "Cookie: __Secure-next-auth.session-token=eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn",
        "the quick brown fox jumps over the lazy dog, user@corp.example.org wrote",
    ]
    text = "\n".join(rng.choice(lines) for _ in range(10 * MB // 60))
    # How long this takes is the bench's "10 MB of realistic log lines" case.
    out = Redactor().redact(text)
    assert KEY_A not in out.text and "user@corp.example.org" not in out.text


# --------------------------------------------------------------------------- fuzzing

_B64 = string.ascii_letters + string.digits
_alnum = st.text(alphabet=_B64, min_size=1)


def _fixed(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


# Each secret mixes case and digits, as real keys do (the "random-looking" rule).
_MIX = "aZ09"
SECRETS = st.one_of(
    st.builds(lambda p, b: f"sk-{p}{b}{_MIX}", st.sampled_from(["", "proj-", "svcacct-", "admin-"]),
              _fixed(_B64 + "_-", 44)),
    st.builds(lambda p, b: f"{p}{b}{_MIX}", st.sampled_from(["ghp_", "gho_", "ghs_", "ghu_"]),
              _fixed(_B64, 32)),
    st.builds(lambda b: f"AKIA{b}", _fixed(string.ascii_uppercase + string.digits, 16)),
    st.builds(lambda b: f"xoxb-{b}{_MIX}", _fixed(_B64 + "-", 30)),
    st.builds(lambda b: f"sk_live_{b}{_MIX}", _fixed(_B64, 24)),
    st.builds(lambda b: f"AIza{b}{_MIX}", _fixed(_B64 + "_-", 31)),
    st.builds(lambda h, p, s: f"eyJ{h}.eyJ{p}.{s}{_MIX}", _fixed(_B64, 16), _fixed(_B64, 24),
              _fixed(_B64 + "_-", 20)),
    st.builds(lambda u, d: f"{u}@{d}.example.com", _fixed(string.ascii_lowercase, 8),
              _fixed(string.ascii_lowercase, 6)),
    st.builds(lambda b: _luhn_complete("4" + b), _fixed(string.digits, 14)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_and_keeps_plain_text(text: str) -> None:
    out = Redactor().redact(text)
    assert isinstance(out.text, str)
    for red in out.redactions:
        assert out.text[red.start : red.end] == red.placeholder
    if not out.redactions:
        assert out.text == text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.text(max_size=60), secret=SECRETS, after=st.text(max_size=60))
def test_planted_secret_never_survives(before: str, secret: str, after: str) -> None:
    text = f"{before} {secret} {after}"
    out = Redactor().redact(text).text
    assert secret not in out, f"{secret!r} survived in {out!r}"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([KEY_A, KEY_B, "x@corp.example.org", "plain words"]), max_size=12))
def test_placeholders_consistent_for_any_sequence(items: list[str]) -> None:
    r = Redactor()
    outs = [r.redact(item).text for item in items]
    for item, out in zip(items, outs, strict=True):
        again = r.redact(item).text
        assert again == out
        assert (out == item) == (item == "plain words")
    assert all(re.fullmatch(r"\[[A-Z-]+-\d\]", p) for p in r.mapping)


_NOISE = st.sampled_from(["\u200b", "\u00ad", "\ufeff", "\x1b[31m", "\x1b[0m", "\x1b[1;4m"])


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(alphabet=string.ascii_letters + " .,:", max_size=30),
    cuts=st.lists(st.tuples(st.integers(1, len(KEY_A) - 1), _NOISE), max_size=6),
    encode=st.booleans(),
    after=st.text(alphabet=string.ascii_letters + " .,:", max_size=30),
)
def test_key_broken_by_invisible_noise_is_replaced_whole(
    before: str, cuts: list[tuple[int, str]], encode: bool, after: str
) -> None:
    pieces = list(KEY_A.replace("-", "%2D") if encode else KEY_A)
    for at, noise in sorted(cuts, reverse=True):
        pieces.insert(min(at, len(pieces)), noise)
    noisy = "".join(pieces)
    out = Redactor().redact(f"{before} {noisy} {after}")
    assert out.text == f"{before} [OPENAI-KEY-1] {after}"
    assert Redactor().redact(noisy).redactions[0].end == len("[OPENAI-KEY-1]")
