"""Text as it enters ccbot: control characters and lone surrogates removed, so every database stores the same.

PostgreSQL refuses a NUL in text (in a query's parameters too) where SQLite stores it, and a lone surrogate
(valid in JSON as `\\ud800`) cannot be encoded at all; the other control characters only garble what people read.
Tab, newline and carriage return are text.
"""

from __future__ import annotations

import re
from typing import Any

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Return `text` without control characters (but tab, newline, carriage return) and lone surrogates."""
    return CONTROL.sub("", text)


def clean_tree(value: Any) -> Any:
    """Return decoded JSON (or a form) with `clean_text` applied to every string in it, keys included.

    It walks with a stack of its own, so a deeply nested body costs memory in proportion, never a RecursionError.
    """
    if not isinstance(value, dict | list):
        return clean_text(value) if isinstance(value, str) else value
    root: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else [None] * len(value)
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        for key, item in source.items() if isinstance(source, dict) else enumerate(source):
            if isinstance(item, dict | list):
                child: Any = {} if isinstance(item, dict) else [None] * len(item)
                stack.append((item, child))
            else:
                child = clean_text(item) if isinstance(item, str) else item
            target[clean_text(key) if isinstance(key, str) else key] = child
    return root
