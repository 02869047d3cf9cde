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
# Keys whose value names or reaches a person (national ids among them).
_PERSONAL_KEY = (
    r"user(?:[_-]?name)?|login|e-?mail|phone|mobile|remote[_-]?addr|client[_-]?ip|ip[_-]?address"
    r"|ssn|social[_-]?security(?:[_-]?(?:number|no))?|nino|national[_-]?(?:id|insurance)(?:[_-]?(?:number|no))?"
    r"|tax[_-]?id|passport(?:[_-]?(?:number|no))?|iban"
)
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
    if match.string.startswith(f" {MARK}", match.end()) and match["key"].lower().endswith("authorization"):
        return match[
            0
        ]  # the scheme of a header _AUTHORIZATION redacted: `Authorization: Negotiate [redacted]`
    if value.startswith('\\"'):
        secret = f'\\"{MARK}\\"'
    elif value[0] in "\"'":
        secret = f"{value[0]}{MARK}{value[0]}"
    elif " " in value or "\t" in value:
        secret = f"{value.split()[0]} {MARK}"
    else:
        secret = MARK
    return f"{match['key']}{match['sep']}{secret}"


# An Authorization header (Proxy-, X-Forwarded- too): its scheme stays readable, its credentials go, whether a
# token68 (Bearer, Basic, Negotiate) or a list of parameters (Digest, AWS4-HMAC-SHA256).
_AUTH_PARAM = r"[\w-]{1,40}=(?:\"[^\"\n]{0,2000}\"|[^\s,\"'<>]{0,2000})"
_AUTHORIZATION = re.compile(
    r"(?i)(?<![\w.\\-])(?P<key>[\w-]{0,40}authorization[ \t]*[=:][ \t]*)"
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9-]{0,30})[ \t]+(?=\S))?"
    rf"(?P<credentials>{_AUTH_PARAM}(?:[ \t]*,[ \t]*{_AUTH_PARAM}){{0,20}}|\"[^\"\n]{{0,2000}}\"|'[^'\n]{{0,2000}}'"
    r"|\\\"(?:[^\"\\\n]|\\[^\"\n]){0,2000}\\\"|[^\s\"'<>\\]{1,4000})"
)


def _authorization(match: re.Match[str]) -> str:
    scheme = f"{match['scheme']} " if match["scheme"] else ""
    credentials = match["credentials"]
    quote = '\\"' if credentials.startswith('\\"') else credentials[0] if credentials[0] in "\"'" else ""
    secret = f"{quote}{MARK}{quote}"
    return f"{match['key']}{scheme}{secret}"


# A credential after `Bearer`, `Basic` or `token` without a header name; prose ("Bearer authentication", "the
# token expired") is told apart by shape in _credential.
_CREDENTIAL = re.compile(
    r"(?i)\b(?P<scheme>bearer|basic|token)[ \t]+(?P<credential>[A-Za-z0-9._~+/-]{8,4000}=*)"
)


def _credential(match: re.Match[str]) -> str:
    credential = match["credential"]
    core = credential.rstrip(".")  # a full stop ending the sentence is not part of it
    letters, digits = re.search(r"[A-Za-z]", core), re.search(r"\d", core)
    if match["scheme"].lower() == "token":
        secret = len(core) >= 12 and bool(letters and digits)
    else:
        secret = len(core) >= 8 and (
            bool(digits)
            or bool(re.search(r"[+/=_~-]|\.[A-Za-z0-9]", core))
            or bool(re.search(r"[a-z]", core) and re.search(r"[A-Z]", core[1:]))  # mixed case, as base64 is
            or len(core) >= 24
        )
    if not secret:
        return match[0]
    return f"{match['scheme']} {MARK}{credential[len(core) :]}"


def _social_security(match: re.Match[str]) -> str:
    area, group, serial = match["area"], match["group"], match["serial"]
    valid = area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"
    return f"{match['label'] or ''}{MARK}" if valid else match[0]


# IBAN lengths by country (ISO 13616 registry); with the mod-97 check, a random code passes one time in 97 at most.
_IBAN_LENGTHS_TEXT = (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 "
    "ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 "
    "LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 "
    "RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20"
)
_IBAN_LENGTHS = {entry[:2]: int(entry[2:]) for entry in _IBAN_LENGTHS_TEXT.split(" ")}


def _iban(match: re.Match[str]) -> str:
    code = match[0].replace(" ", "")
    if _IBAN_LENGTHS.get(code[:2]) != len(code):
        return match[0]
    rearranged = code[4:] + code[:4]
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return MARK if number % 97 == 1 else match[0]


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
    # Usernames in paths: /users/<name>, /u/<name>, /~name (not a host named `u`, as in `https://u/0`).
    (
        re.compile(
            r"(?i)(?<!/)(/(?:users?|u|profiles?|accounts?|members?|learners?|people)/)[^/\s?#<>|\"'`]{1,200}"
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
    # Authorization headers, then credentials given without one: `Bearer <credential>`, `Basic <base64>`.
    (_AUTHORIZATION, _authorization),
    (_CREDENTIAL, _credential),
    # `key: value`, `key=value`, `"key": "value"` for secret-ish and personal keys.
    (_KEY_VALUE, _key_value),
    # AWS secret access keys (40 characters of base64) standing alone.
    (re.compile(r"(?<![A-Za-z0-9/+=\]])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=\[])"), _aws_secret),
    # E-mail addresses, internationalised too (Unicode local parts, IDN domains, punycode).
    (re.compile(r"(?:mailto:)?(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"), MARK),
    # ... and at a host without a dot (root@localhost, a@intranet). A `+` in the local part, a digest algorithm or
    # a digit for a host is something else: Open edX usage keys (`+type@problem`), `image@sha256:`, `pkg@2`.
    (
        re.compile(
            r"(?:mailto:)?(?<![\w.%+-])[\w.%-]{1,64}@(?!(?:sha\d{1,3}|md5)\b)[^\W\d_][\w-]{0,62}(?![\w@-]|\.[\w-])"
        ),
        MARK,
    ),
    # National ids: US Social Security numbers (dashed, or labelled), UK National Insurance numbers.
    (
        re.compile(
            r"(?i)(?P<label>\b(?:ssn|social[ _-]security(?:[ _-](?:number|no\.?))?)[ \t]*[:=#]?[ \t]*)?"
            r"(?<![\w.\]-])(?P<area>\d{3})(?(label)[ -]?|-)(?P<group>\d{2})(?(label)[ -]?|-)(?P<serial>\d{4})(?![\w\[-])"
        ),
        _social_security,
    ),
    (
        re.compile(
            r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
        ),
        MARK,
    ),
    # Bank accounts: an IBAN, grouped by four or not, whose length and mod-97 check are right.
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), _iban),
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
