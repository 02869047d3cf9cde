"""The yearly recommitment (OEP-54: organisations in December, individuals in January): opening a round,
the answers (Recommit for YEAR / Step down), the reminders, and what each deadline settles.

Each committer (or each provider organisation's contact) is a member of the round with a deadline. At the
deadline, those who stepped down become alumni (an organisation's entity agreement ends instead), those
who recommitted are done, and those who did not answer are listed for the admins with Move to alumni
and Extend a month. Every step commits with its messages and is taken once, whichever instance runs it.

Opening a round and its progress are in `rounds`; the answers, reminders, deadlines and decisions in `settling`.
"""

from __future__ import annotations

from bot.services.renewals.rounds import (
    add_month,
    invitation,
    list_rounds,
    my_renewals,
    open_renewal,
    open_scheduled,
    renewal_progress,
    renewal_year,
    round_progress,
    scheduled_date,
)
from bot.services.renewals.settling import (
    advance_renewals,
    answer_renewal,
    decide_listed,
    hand_over_contacts,
    queue_reminders,
    settle_due,
)

__all__ = [
    "add_month",
    "advance_renewals",
    "answer_renewal",
    "decide_listed",
    "hand_over_contacts",
    "invitation",
    "list_rounds",
    "my_renewals",
    "open_renewal",
    "open_scheduled",
    "queue_reminders",
    "renewal_progress",
    "renewal_year",
    "round_progress",
    "scheduled_date",
    "settle_due",
]
