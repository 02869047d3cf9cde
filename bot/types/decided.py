"""A decision as committed: what it left (a card to redraw, or the text that confirms it) and its messages' keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Decided(Generic[T]):
    """What a decision left, and the keys of the messages committed with it (empty when it changed nothing).

    `repeated`: the submission repeated an earlier one, which `result` is; nothing new was stored or sent.
    """

    result: T
    keys: tuple[str, ...] = ()
    repeated: bool = False

    @property
    def card(self) -> T:
        """The card the decision left, for the features that redraw one (questions, escalations, ...)."""
        return self.result

    @property
    def confirmation(self) -> T:
        """The text that tells the person who decided what was done, for the admin changes."""
        return self.result
