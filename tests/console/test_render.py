"""mrkdwn and Block Kit as the console shows them: styled like Slack on a terminal, plain text in a pipe."""

from __future__ import annotations

import io

from rich.text import Text

from bot.console.render import Button, emoji, mrkdwn, render_blocks, unmrkdwn, with_emoji
from bot.console.screen import screen_for

NAMES = {"U0ZIA": "ziafazal", "C0COORD": "cc-coordination"}


class TtyStream(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _styles(text: Text) -> dict[str, str]:
    """Map each styled stretch of `text` to its style, as a string."""
    return {text.plain[span.start : span.end]: str(span.style) for span in text.spans}


def test_bold_italics_strike_and_code_lose_their_markers_and_gain_styles() -> None:
    text = mrkdwn("*Answered* by _someone_ who ~never~ ran `pytest -k *grades*`", NAMES)
    assert text.plain == "Answered by someone who never ran pytest -k *grades*"
    styles = _styles(text)
    assert "bold" in styles["Answered"]
    assert "italic" in styles["someone"]
    assert "strike" in styles["never"]
    assert "magenta" in styles["pytest -k *grades*"], "code is literal: no bold inside"


def test_markers_inside_words_and_times_are_left_alone() -> None:
    assert unmrkdwn("snake_case_name and 2*3*4 at 10:30:45", NAMES) == "snake_case_name and 2*3*4 at 10:30:45"
    assert unmrkdwn("*bold with _italics_ inside*", NAMES) == "bold with italics inside"


def test_links_mentions_dates_and_entities() -> None:
    text = mrkdwn(
        "<@U0ZIA> asked in <#C0COORD> about <https://github.com/openedx/edx-platform/pull/1|edx-platform#1>, "
        "see <https://example.org> or <mailto:cc@example.org|the program>; <!here> by "
        "<!date^1795000000^{date_short}|Nov 19> &lt;not a tag&gt; &amp; more",
        NAMES,
    )
    assert text.plain == (
        "@ziafazal asked in #cc-coordination about edx-platform#1 (https://github.com/openedx/edx-platform/pull/1), "
        "see https://example.org or the program; @here by Nov 19 <not a tag> & more"
    )
    styles = _styles(text)
    assert "link https://github.com/openedx/edx-platform/pull/1" in styles["edx-platform#1"]
    assert "bold" in styles["@ziafazal"]
    assert unmrkdwn("<@U0UNKNOWN|someone>", NAMES) == "@someone"


def test_emoji_shortcodes_become_characters_slack_names_included() -> None:
    assert (
        unmrkdwn(":rotating_light: *URGENT* :white_check_mark: :large_green_circle:", NAMES)
        == "🚨 URGENT ✅ 🟢"
    )
    assert emoji("ballot_box") is not None
    assert unmrkdwn(":not_an_emoji: stays", NAMES) == ":not_an_emoji: stays"
    assert with_emoji("Escalate :sos: *now*") == "Escalate 🆘 *now*", "plain_text keeps its asterisks"


def test_quotes_and_code_blocks() -> None:
    text = mrkdwn("&gt; the original *question*\n```\nrun: *all*\n```\nafter", NAMES)
    assert text.plain == "▌ the original question\nrun: *all*\nafter"


def test_blocks_number_buttons_and_keep_plain_text_plain() -> None:
    buttons: list[Button] = []
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly *digest* :bar_chart:"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Questions:* 3 asked"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "by <@U0ZIA>"}, {"type": "plain_text", "text": "today"}],
        },
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "b1",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Claim"}, "style": "primary"},
                {"type": "button", "text": {"type": "plain_text", "text": "Drop"}, "style": "danger"},
            ],
        },
    ]
    lines = [line.plain for line in render_blocks(blocks, NAMES, buttons, {"type": "message"})]
    assert lines == [
        "WEEKLY *DIGEST* 📊",
        "=" * len("Weekly *digest* 📊"),
        "Questions: 3 asked",
        "  by @ziafazal · today",
        "─" * 40,
        "[1] Claim   [2] Drop",
    ]
    assert [button.block_id for button in buttons] == ["b1", "b1"]


def test_no_colour_codes_in_a_pipe_and_styles_on_a_terminal() -> None:
    text = mrkdwn("*Answered* by <@U0ZIA>", NAMES)
    pipe = io.StringIO()
    screen_for(pipe).print(text)
    assert pipe.getvalue() == "Answered by @ziafazal\n"
    terminal = TtyStream()
    screen_for(terminal).print(text)
    assert "\x1b[1m" in terminal.getvalue()
    assert "Answered" in terminal.getvalue()
