"""The type of Slack mrkdwn the bot vouches for; it is built only by bot/views/text.py."""

from __future__ import annotations


class Mrkdwn(str):
    """Slack mrkdwn the bot vouches for: its own template text, every part a person typed escaped.

    Made by `mrkdwn`, `escape`, `join`, `link` and the helpers of bot/views/text.py; anything done to it as a
    `str` (adding, slicing, formatting) gives a plain `str` again, which the outbox and the reply paths refuse.
    """

    __slots__ = ()
