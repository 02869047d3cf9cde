"""Text as it enters: control characters and lone surrogates removed, tab and newline kept, at any depth."""

from __future__ import annotations

from bot.services.input_text import clean_text, clean_tree


def test_control_characters_and_lone_surrogates_go_and_tab_and_newline_stay() -> None:
    assert clean_text("a\x00b\x07c\x1b[31md\x7fe\x85f\ud800g") == "abc[31mdefg"
    assert clean_text("line one\nline two\tcell\r\n") == "line one\nline two\tcell\r\n"
    assert clean_text("Zoë 用户 🚀 \u202e") == "Zoë 用户 🚀 \u202e", (
        "letters, emoji and format characters are text"
    )


def test_every_string_of_a_body_is_cleaned_keys_too_however_deep() -> None:
    body = {"a\x00": ["x\x00y", {"b": "\ud800c", "n": 1, "flags": [None, True, 1.5]}]}
    assert clean_tree(body) == {"a": ["xy", {"b": "c", "n": 1, "flags": [None, True, 1.5]}]}
    deep: list[object] = []
    inner = deep
    for _ in range(100_000):  # deeper than Python's recursion limit
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    inner.append("\x00")
    assert clean_tree(deep) is not deep
