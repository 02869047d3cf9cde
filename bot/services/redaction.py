"""Redaction of production data (secrets, personal data, addresses) from monitoring text and pipeline links.

`redact` replaces what must not leave the operators with MARK; `redact_url` reduces a link to its scheme, host and
path; `clip` shortens redacted text to a column's width. Every pattern is anchored at the start of a run of the
characters it matches and has bounded repetition, so redaction stays linear in the length of the text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

MARK = "[redacted]"
ELLIPSIS = "…"
MAX_PASSES = 4

Replacement = str | Callable[[re.Match[str]], str]

# Keys whose value is a secret, in `key: value`, `key=value`, `"key": "value"` and header forms.
_SECRET_WORD = "|".join(  # the names of secrets, not one
    [
        r"pass(?:word|wd|phrase)",
        "pwd",
        "secret",
        "token",
        "api[_-]?key",
        "apikey",
        "access[_-]?key",
        "auth",
        "credential",
        "private[_-]?key",
        "session",
        "cookie",
        "signature",
    ]
)
# Keys whose value names or reaches a person.
_PERSONAL_KEY = r"user(?:[_-]?name)?|login|e-?mail|phone|mobile|remote[_-]?addr|client[_-]?ip|ip[_-]?address"
_KEY = rf"[\w.-]{{0,40}}?(?:{_SECRET_WORD})[\w.-]{{0,40}}|[\w.-]{{0,40}}?key|(?:[\w.-]{{0,20}}[_.-])?(?:{_PERSONAL_KEY})"
_KEY_VALUE = re.compile(
    rf"(?i)(?<![\w.\\-])(?P<key>(?P<q>\\?[\"'])?(?:{_KEY})(?P=q)?)(?P<sep>[ \t]*[=:][ \t]*)"
    r"(?P<value>"
    r"\\\"(?:[^\"\\\n]|\\[^\"\n]){0,2000}\\\""  # a JSON string inside a JSON string: \"...\"
    r"|\"(?:[^\"\\\n]|\\.){0,2000}\""  # "..."
    r"|'[^'\n]{0,2000}'"  # '...'
    r"|(?:bearer|basic|token|digest)[ \t]+[^\s,;\"'<>]{1,4000}"  # an authorization header's scheme and credential
    r"|[^\s&,;\"'<>]{1,4000})"  # a bare value
)


def _key_value(match: re.Match[str]) -> str:
    value = match["value"]
    if value.startswith('\\"'):
        secret = f'\\"{MARK}\\"'
    elif value[0] in "\"'":
        secret = f"{value[0]}{MARK}{value[0]}"
    elif " " in value or "\t" in value:
        secret = f"{value.split()[0]} {MARK}"
    else:
        secret = MARK
    return f"{match['key']}{match['sep']}{secret}"


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    return MARK if 13 <= len(digits) <= 19 and _luhn(digits) else match[0]


def _phone(low: int, high: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match[0])
        return MARK if low <= digits <= high else match[0]

    return replace


def _ipv6(match: re.Match[str]) -> str:
    text = match[0]
    if text == "::":
        return text  # the unspecified address alone carries nothing (and `a :: b` is prose)
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return text  # a clock time, a MAC address, `a::b` in code: not an address
    return MARK


def _aws_secret(match: re.Match[str]) -> str:
    text = match[0]
    # A git SHA-1 is 40 hex digits; a secret key mixes cases and digits (or has / or +).
    mixed = re.search(r"[a-z]", text) and re.search(r"[A-Z]", text) and re.search(r"\d", text)
    return MARK if mixed or (("/" in text or "+" in text) and re.search(r"[A-Za-z]", text)) else text


def _url_tail(match: re.Match[str]) -> str:
    query = f"?{MARK}" if match["query"] and match["query"] != "?" else (match["query"] or "")
    fragment = f"#{MARK}" if match["fragment"] and match["fragment"] != "#" else (match["fragment"] or "")
    return f"{match['base']}{query}{fragment}"


_URL_CHARS = r"[^\s?#<>|\"'`\\]"
# Order matters: whole secrets first (a key block, credentials in URLs, tokens), then what URLs carry, then
# `key: value` text, then personal data (e-mail, cards, phones, addresses).
_PATTERNS: list[tuple[re.Pattern[str], Replacement]] = [
    # Private key blocks, across lines; an unterminated block is redacted to the end of the text.
    (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.S,
        ),
        MARK,
    ),
    # user:password@ (or user@) in any scheme://, as in database and broker connection URLs.
    (re.compile(r"(?i)(?<![\w+.-])([a-z][a-z0-9+.-]{0,20}://)[^\s/?#@<>|\"'`]{1,500}@"), rf"\1{MARK}@"),
    # Slack incoming webhooks and workflow triggers: the path is the secret.
    (re.compile(r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[^\s?#<>|\"'`]+"), rf"\1{MARK}"),
    # Query strings and fragments of URLs.
    (
        re.compile(
            rf"(?i)(?P<base>(?<![\w+.-])(?:[a-z][a-z0-9+.-]{{0,20}}:)?//{_URL_CHARS}{{1,2000}})"
            r"(?P<query>\?[^\s#<>|\"'`]{0,4000})?(?P<fragment>#[^\s<>|\"'`]{0,4000})?"
        ),
        _url_tail,
    ),
    # Query strings of bare paths (`/progress?username=jdoe`).
    (re.compile(r"\?[\w.%+-]{1,200}=[^\s#<>|\"'`]{0,4000}"), f"?{MARK}"),
    # Usernames in paths: /users/<name>, /u/<name>, /~name.
    (
        re.compile(
            r"(?i)(/(?:users?|u|profiles?|accounts?|members?|learners?|people)/)[^/\s?#<>|\"'`]{1,200}"
        ),
        rf"\1{MARK}",
    ),
    (re.compile(r"(/~)[^/\s?#<>|\"'`]{1,200}"), rf"\1{MARK}"),
    # Tokens with a recognisable shape.
    (re.compile(r"\beyJ[\w-]{5,4000}\.[\w-]{5,4000}\.[\w-]{0,4000}"), MARK),  # JWT
    (re.compile(r"\b(?:xox[abeoprs]|xoxe\.xox[bp]|xoxe)-[A-Za-z0-9-]{6,400}"), MARK),  # Slack
    (re.compile(r"\bxapp-[A-Za-z0-9-]{6,400}"), MARK),  # Slack app-level
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})"), MARK),  # GitHub
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,255}"), MARK),  # GitLab
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,255}"), MARK),  # npm
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}\b"), MARK),  # AWS key ids
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,255}"), MARK),  # Stripe
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,100}"), MARK),  # Google API keys
    (re.compile(r"\bSG\.[\w-]{16,100}\.[\w-]{16,100}"), MARK),  # SendGrid
    # Authorization headers given without a key: `Bearer <credential>`, `Basic <base64>`.
    (
        re.compile(
            r"(?i)\b(bearer|basic)[ \t]+(?=[A-Za-z0-9._~+/-]{0,400}[0-9+/=._~-])[A-Za-z0-9._~+/-]{8,4000}=*"
        ),
        rf"\1 {MARK}",
    ),
    # `key: value`, `key=value`, `"key": "value"` for secret-ish and personal keys.
    (_KEY_VALUE, _key_value),
    # AWS secret access keys (40 characters of base64) standing alone.
    (re.compile(r"(?<![A-Za-z0-9/+=\]])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=\[])"), _aws_secret),
    # E-mail addresses, internationalised too (Unicode local parts, IDN domains, punycode).
    (re.compile(r"(?:mailto:)?(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"), MARK),
    # User ids: user_id=48213, User 7731, learner #99.
    (
        re.compile(
            r"(?i)\b((?:user|usr|uid|customer|account|learner|student)(?:[_ -]?id)?)(\"?[ \t]*[=:#]?[ \t]*\"?)\d{1,20}\b"
        ),
        rf"\1\2{MARK}",
    ),
    # Card numbers: 13-19 digits, grouped by spaces or dashes, that pass the Luhn check (ids and SHAs rarely do).
    (re.compile(r"(?<![\w.\]-])\d(?:[ -]?\d){12,18}(?![\w\[-])"), _card),
    # Phone numbers: international (+CC ...), North American ((415) 555-0132), national with a trunk 0.
    (re.compile(r"(?<![\w+\]])\+\d[\d ().-]{6,22}\d(?![\w\[])"), _phone(8, 15)),
    (re.compile(r"(?<![\w.+\]-])(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w\[-])"), MARK),
    (re.compile(r"(?<![\w.+\]-])0\d{1,4}(?:[ -]\d{2,8}){1,4}(?![\w\[-])"), _phone(9, 13)),
    # IPv6 in all its forms (full, compressed, with a zone id, IPv4-mapped), then IPv4 with an optional prefix.
    (
        re.compile(
            r"(?<![\w:.\]])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
            r"(?:%[\w.-]{1,32})?(?![\w:\[])"
        ),
        _ipv6,
    ),
    (
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:/\d{1,2})?\b"),
        MARK,
    ),
]


def redact(text: str | None) -> str:
    """Return `text` with secrets, tokens, credentials, personal data, addresses and URL query strings replaced."""
    if not text:
        return ""
    # A replacement can expose a neighbour its match shielded (`0.0.0.0::1`, two phone numbers run together):
    # passes repeat until nothing changes, so redacting redacted text changes nothing.
    for _ in range(MAX_PASSES):
        before = text
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        if text == before:
            break
    return text


_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|[0-9a-f:.]{2,45}")
# Characters a path keeps as they are; everything else (spaces, <, >, |, &, quotes) is percent-encoded.
_PATH_SAFE = "/%:@!$'()*+,;=-._~[]"
URL_MAX = 500


def redact_url(url: str | None) -> str | None:
    """Reduce an http(s) link to scheme, host, port and path (userinfo, query, fragment dropped; path redacted).

    Returns None when `url` is not an http(s) link with a plain host name, so nothing else is ever linked.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.fullmatch(host):
        return None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    base = f"{parts.scheme.lower()}://{netloc}"
    # Redacted as read (percent-decoded), so an encoded secret is caught and a second pass changes nothing.
    path = quote(redact(unquote(parts.path)), safe=_PATH_SAFE)
    return f"{base}{path}" if len(base) + len(path) <= URL_MAX else base


def clip(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, ending with an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS
