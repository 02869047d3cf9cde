"""The roster: importing and exporting it in the formats met in the wild, people's profiles and standings, and
finding people on it. The names the rest of the bot uses are re-exported here."""

from __future__ import annotations

from bot.services.roster.export import export_agreement_rows, export_roster
from bot.services.roster.formats import read_roster
from bot.services.roster.formats.agreements_csv import dump_agreements_csv
from bot.services.roster.formats.ccbot_yaml import dump_ccbot_yaml
from bot.services.roster.formats.document import RosterError
from bot.services.roster.importer import ConfirmationNeeded, import_roster
from bot.services.roster.people import (
    find_person,
    find_person_by_slack_id,
    identify_slack_user,
    list_admins,
    list_roster,
    person_by_handle,
)
from bot.services.roster.profiles import get_profile
from bot.services.roster.statuses import queue_status_notices, refresh_statuses, status_change_messages
from bot.types.roster import ImportReport

__all__ = [
    "ConfirmationNeeded",
    "ImportReport",
    "RosterError",
    "dump_agreements_csv",
    "dump_ccbot_yaml",
    "export_agreement_rows",
    "export_roster",
    "find_person",
    "find_person_by_slack_id",
    "get_profile",
    "identify_slack_user",
    "import_roster",
    "list_admins",
    "list_roster",
    "person_by_handle",
    "queue_status_notices",
    "read_roster",
    "refresh_statuses",
    "status_change_messages",
]
