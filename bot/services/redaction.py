"""Redaction of production data from monitoring text before anything of it reaches a committer."""

from __future__ import annotations

import re

MARK = "[redacted]"

# Order matters: whole secrets first, then the key=value forms, then addresses and ids.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S), MARK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MARK),  # JWT
    (re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{6,}"), MARK),  # Slack tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"), MARK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), MARK),  # GitHub tokens
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MARK),  # AWS access key ids
    (re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"), MARK),  # Stripe-style keys
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), MARK),  # Google API keys
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1 {MARK}"),
    (
        re.compile(
            r"(?i)\b((?:[a-z0-9_-]*[_-])?(?:api[_-]?key|apikey|secret(?:[_-]?key)?|token|password|passwd|pwd|"
            r"access[_-]?key(?:[_-]?id)?|client[_-]?secret|private[_-]?key|auth|authorization|session(?:id)?|"
            r"cookie|signature|key))(\"?\s*[=:]\s*\"?)(\"[^\"]*\"|'[^']*'|[^\s&,;\"']+)"
        ),
        rf"\1\2{MARK}",
    ),
    (re.compile(r"(https?://[^\s?#<>|]+)\?[^\s#<>|]*"), rf"\1?{MARK}"),  # URL query strings
    (re.compile(r"\?[\w.%+-]+=[^\s#<>|]*"), f"?{MARK}"),  # query strings of bare paths
    (re.compile(r"(?i)\b(?:mailto:)?[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b"), MARK),  # e-mail
    (
        re.compile(
            r"(?i)\b((?:user|usr|uid|customer|account|learner)(?:[_ -]?id)?)(\"?\s*[=:#]?\s*\"?)\d+\b"
        ),
        rf"\1\2{MARK}",
    ),
    (
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:/\d{1,2})?\b"),
        MARK,
    ),  # IPv4
]
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])")


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    # Clock times (12:30:45) are not addresses: an address has a letter among its digits or a `::`.
    if "::" in text or re.search(r"[A-Fa-f]", text):
        return MARK
    return text


def redact(text: str | None) -> str:
    """Return `text` with e-mails, IP addresses, tokens, keys, user ids and URL query strings replaced."""
    if not text:
        return ""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _IPV6_CANDIDATE.sub(_ipv6, text)
