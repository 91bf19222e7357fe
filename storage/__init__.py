"""Persistence: tortoise models, migrations and repository functions that return records."""

from storage.checkins import (
    answer_history,
    answers_for_checkin,
    get_checkin,
    load_checkin_context,
    open_checkins_for_email,
    open_checkins_for_slack_user,
)
from storage.db import (
    NotFound,
    SchemaOutOfDate,
    StorageError,
    connect,
    database,
    disconnect,
    ping,
    tortoise_config,
    upgrade,
)
from storage.grantees import find_grantees_by_email, list_grantees, upsert_grantees
from storage.messages import (
    claim_outbound,
    enqueue_outbound,
    mark_outbound_failed,
    mark_outbound_sent,
    outbound_counts,
    pending_outbound,
    record_inbound,
)
from storage.programmes import get_programme, list_programmes, upsert_programme
from storage.rounds import close_round, current_round, get_round, open_round, round_status
from storage.steps import save_step

__all__ = [
    "NotFound",
    "SchemaOutOfDate",
    "StorageError",
    "answer_history",
    "answers_for_checkin",
    "claim_outbound",
    "close_round",
    "connect",
    "current_round",
    "database",
    "disconnect",
    "enqueue_outbound",
    "find_grantees_by_email",
    "get_checkin",
    "get_programme",
    "get_round",
    "list_grantees",
    "list_programmes",
    "load_checkin_context",
    "mark_outbound_failed",
    "mark_outbound_sent",
    "open_checkins_for_email",
    "open_checkins_for_slack_user",
    "open_round",
    "outbound_counts",
    "pending_outbound",
    "ping",
    "record_inbound",
    "round_status",
    "save_step",
    "tortoise_config",
    "upgrade",
    "upsert_grantees",
    "upsert_programme",
]
