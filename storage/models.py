"""Tortoise models (app label "models"); only the storage package ever sees these classes."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Encoded:
    """JSON text on its way to a JSON column (see JSONField)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class JSONField(fields.JSONField[Any]):
    """tortoise's JSONField, able to hold a plain JSON string too (such as the answer "lt10").

    tortoise's JSONField takes any str as JSON already encoded, and decodes it once more when
    a model is built, so a string value cannot be stored. Writes pass `Encoded` text instead,
    which both steps leave alone; reads decode as usual.
    """

    def to_python_value(self, value: Any) -> Any:
        return value if isinstance(value, Encoded) else super().to_python_value(value)

    def to_db_value(self, value: Any, instance: Any) -> Any:
        return value.text if isinstance(value, Encoded) else super().to_db_value(value, instance)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        # Same column, same class name (which the autodetector compares): migrations keep
        # naming tortoise's field and never need to import this module.
        _, args, kwargs = super().deconstruct()
        return f"{fields.JSONField.__module__}.{fields.JSONField.__name__}", args, kwargs


# History must never vanish with a parent row, so references to programmes, grantees and
# rounds refuse deletion; rows that only describe a check-in go with it.
_KEEP = fields.OnDelete.RESTRICT


class Funder(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=200)

    programmes: fields.ReverseRelation[Programme]

    class Meta:
        table = "funder"


class Programme(Model):
    id = fields.IntField(primary_key=True)
    funder: fields.ForeignKeyRelation[Funder] = fields.ForeignKeyField(
        "models.Funder", related_name="programmes", on_delete=_KEEP
    )
    funder_id: int
    slug = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=200)
    framework_id = fields.CharField(max_length=100)
    framework_version = fields.IntField()
    framework_toml = fields.TextField()
    # the text's SHA-256 (storage.framework_texts): contexts read the text only when it is new
    framework_sha256 = fields.CharField(max_length=64, default="", db_default="")
    contacts = JSONField(default=list)
    activity_types = JSONField(default=list)
    schedule = JSONField(default=dict)
    digest_slack_channel = fields.CharField(max_length=100, null=True)

    class Meta:
        table = "programme"


class Grantee(Model):
    id = fields.IntField(primary_key=True)
    programme: fields.ForeignKeyRelation[Programme] = fields.ForeignKeyField(
        "models.Programme", related_name="grantees", on_delete=_KEEP
    )
    programme_id: int
    name = fields.CharField(max_length=200)
    organisation = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320)  # always stored lower-case
    slack_user_id = fields.CharField(max_length=50, null=True, db_index=True)
    timezone = fields.CharField(max_length=64)
    activity_type = fields.CharField(max_length=100)
    local_authority = fields.CharField(max_length=200)
    active = fields.BooleanField(default=True, db_default=True)
    away_until = fields.DateField(null=True)
    email_failing = fields.BooleanField(default=False, db_default=False)
    # the grant's amount in pounds, when the grantee file gives it (for cost per participant)
    grant_amount = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "grantee"
        unique_together = (("programme", "email"),)
        indexes = (("email",),)  # inbound email is matched across programmes


class Round(Model):
    id = fields.IntField(primary_key=True)
    programme: fields.ForeignKeyRelation[Programme] = fields.ForeignKeyField(
        "models.Programme", related_name="rounds", on_delete=_KEEP
    )
    programme_id: int
    period = fields.CharField(max_length=50)
    opened_at = fields.DatetimeField()
    due_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "round"
        unique_together = (("programme", "period"),)


class CheckIn(Model):
    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="checkins", on_delete=_KEEP
    )
    round_id: int
    grantee: fields.ForeignKeyRelation[Grantee] = fields.ForeignKeyField(
        "models.Grantee", related_name="checkins", on_delete=_KEEP
    )
    grantee_id: int
    status = fields.CharField(max_length=20, default="not_started", db_default="not_started")
    state = JSONField(default=dict)
    # bumped by every saved step; a save names the version it read (compare-and-swap)
    version = fields.IntField(default=1, db_default=1)
    started_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "checkin"
        unique_together = (("round", "grantee"),)
        indexes = (("grantee_id",),)  # PostgreSQL does not index foreign keys by itself


class Answer(Model):
    id = fields.IntField(primary_key=True)
    checkin: fields.ForeignKeyRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn", related_name="answers", on_delete=fields.OnDelete.CASCADE
    )
    checkin_id: int
    question_id = fields.CharField(max_length=100)
    question_version = fields.IntField()
    value = JSONField(null=True)
    raw_text = fields.TextField()
    channel = fields.CharField(max_length=20)
    skipped = fields.BooleanField(default=False, db_default=False)
    answered_at = fields.DatetimeField()

    class Meta:
        table = "answer"
        unique_together = (("checkin", "question_id"),)


class AnswerChange(Model):
    id = fields.IntField(primary_key=True)
    checkin: fields.ForeignKeyRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn", related_name="answer_changes", on_delete=fields.OnDelete.CASCADE
    )
    checkin_id: int
    question_id = fields.CharField(max_length=100)
    question_version = fields.IntField()
    old_value = JSONField(null=True)
    new_value = JSONField(null=True)
    old_skipped = fields.BooleanField(null=True)  # null: there was no earlier answer
    new_skipped = fields.BooleanField()
    raw_text = fields.TextField()
    channel = fields.CharField(max_length=20)
    actor = fields.CharField(max_length=255)
    changed_at = fields.DatetimeField()

    class Meta:
        table = "answer_change"
        indexes = (("checkin_id",),)


class InboundMessage(Model):
    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=20)
    external_id = fields.CharField(max_length=255)
    checkin: fields.ForeignKeyNullableRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn",
        related_name="inbound_messages",
        null=True,
        on_delete=fields.OnDelete.SET_NULL,
    )
    checkin_id: int | None
    outcome = fields.CharField(max_length=30)
    detail = fields.TextField(default="")
    received_at = fields.DatetimeField()

    class Meta:
        table = "inbound_message"
        unique_together = (("channel", "external_id"),)


class OutboundMessage(Model):
    id = fields.IntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=255, unique=True)
    channel = fields.CharField(max_length=20)
    recipient = fields.CharField(max_length=320)
    checkin: fields.ForeignKeyNullableRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn",
        related_name="outbound_messages",
        null=True,
        on_delete=fields.OnDelete.SET_NULL,
    )
    checkin_id: int | None
    payload = JSONField()
    status = fields.CharField(max_length=20, default="pending", db_default="pending")
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    external_id = fields.CharField(max_length=255, null=True)
    last_error = fields.TextField(null=True)
    # "interactive" is claimed before "bulk" (see storage.messages.claim_outbound)
    lane = fields.CharField(max_length=12, default="bulk", db_default="bulk")
    claimed_by = fields.CharField(max_length=120, null=True)  # the instance holding the lease

    class Meta:
        table = "outbound_message"
        # the send loop asks for "pending and due" on every tick
        indexes = (("status", "next_attempt_at"),)


class SendPause(Model):
    """A service's "wait until": Slack's Retry-After for a method or a conversation, shared by
    every instance."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=20)
    scope = fields.CharField(max_length=255)  # a method ("chat.update") or "method:conversation"
    until = fields.DatetimeField()

    class Meta:
        table = "send_pause"
        unique_together = (("channel", "scope"),)


class EmailThread(Model):
    """One email thread per check-in: its unguessable reply token (reply+TOKEN@domain)."""

    id = fields.IntField(primary_key=True)
    checkin: fields.ForeignKeyRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn", related_name="email_threads", on_delete=fields.OnDelete.CASCADE
    )
    checkin_id: int
    token = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "email_thread"
        unique_together = (("checkin",),)


class EmailThreadMessage(Model):
    """A Message-ID in a thread: ours (sent for an outbound row) or a grantee's reply."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[EmailThread] = fields.ForeignKeyField(
        "models.EmailThread", related_name="messages", on_delete=fields.OnDelete.CASCADE
    )
    thread_id: int
    message_id = fields.CharField(max_length=255, unique=True)
    # the outbound row this Message-ID was given to, so a retried send keeps the same id
    outbound_id = fields.IntField(null=True, unique=True)
    direction = fields.CharField(max_length=3)  # "out" or "in"
    created_at = fields.DatetimeField()

    class Meta:
        table = "email_thread_message"
        indexes = (("thread_id",),)


class CheckInSchedule(Model):
    """A check-in's scheduled messages: its plan, what is next and when, what was sent or missed."""

    id = fields.IntField(primary_key=True)
    checkin: fields.ForeignKeyRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn", related_name="schedules", on_delete=fields.OnDelete.CASCADE
    )
    checkin_id: int
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="schedules", on_delete=_KEEP
    )
    round_id: int
    plan = JSONField(default=list)  # UTC ISO times: the first message, then each reminder
    next_at = fields.DatetimeField(null=True)  # null: nothing more to send
    next_number = fields.IntField(default=0, db_default=0)  # 0: the first message; n: reminder n
    reminders_sent = fields.IntField(default=0, db_default=0)
    snoozed_until = fields.DatetimeField(null=True)
    # a scheduler that took this row holds it until then; another may take it after a crash
    claimed_until = fields.DatetimeField(null=True)
    first_sent_at = fields.DatetimeField(null=True)
    last_sent_at = fields.DatetimeField(null=True)
    missed = fields.IntField(default=0, db_default=0)  # sends older than the catch-up window
    last_outcome = fields.CharField(max_length=40, default="", db_default="")

    class Meta:
        table = "checkin_schedule"
        unique_together = (("checkin",),)
        # every tick asks for "due now"; rounds are stopped as a whole when they close
        indexes = (("next_at",), ("round_id",))


class GranteePreference(Model):
    """How a grantee wants to be reached: a channel (none: automatic) and muted reminders."""

    id = fields.IntField(primary_key=True)
    grantee: fields.ForeignKeyRelation[Grantee] = fields.ForeignKeyField(
        "models.Grantee", related_name="preferences", on_delete=fields.OnDelete.CASCADE
    )
    grantee_id: int
    channel = fields.CharField(max_length=20, null=True)
    reminders_muted = fields.BooleanField(default=False, db_default=False)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "grantee_preference"
        unique_together = (("grantee",),)


class RoundEvent(Model):
    """Something done once per round (contacts told at the due date, closed): its claim."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="events", on_delete=_KEEP
    )
    round_id: int
    kind = fields.CharField(max_length=40)
    happened_at = fields.DatetimeField()
    detail = fields.TextField(default="")

    class Meta:
        table = "round_event"
        unique_together = (("round", "kind"),)


class WebLink(Model):
    """A private link to one check-in on the web: only the token's SHA-256 is kept."""

    id = fields.IntField(primary_key=True)
    checkin: fields.ForeignKeyRelation[CheckIn] = fields.ForeignKeyField(
        "models.CheckIn", related_name="web_links", on_delete=fields.OnDelete.CASCADE
    )
    checkin_id: int
    grantee: fields.ForeignKeyRelation[Grantee] = fields.ForeignKeyField(
        "models.Grantee", related_name="web_links", on_delete=_KEEP
    )
    grantee_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    # the hidden field every form of this link carries (CSRF): random, not derived from the token
    form_key = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)  # the round's close; none: until it is closed
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "web_link"
        indexes = (("checkin_id",),)


class ParticipantResponse(Model):
    """One participant's feedback form: no name, only when and how it came in, and its answers."""

    id = fields.IntField(primary_key=True)
    # a grantee's participants' forms are theirs: deleting the grantee's data takes these too
    grantee: fields.ForeignKeyRelation[Grantee] = fields.ForeignKeyField(
        "models.Grantee", related_name="participant_responses", on_delete=fields.OnDelete.CASCADE
    )
    grantee_id: int
    period = fields.CharField(max_length=50)
    kind = fields.CharField(max_length=12)  # baseline | follow_up
    channel = fields.CharField(max_length=12)  # online | paper | keyed
    framework = fields.CharField(max_length=140)  # "<framework id>@<version>" the form came from
    received_at = fields.DatetimeField()
    held = fields.BooleanField(default=False, db_default=False)  # waits for the grantee's word
    age_band = fields.CharField(max_length=20, null=True)
    pair_key = fields.CharField(max_length=64, null=True)  # the participant code, keyed hash
    source_key = fields.CharField(max_length=64, null=True)  # the sender's address, keyed hash
    signature = fields.CharField(max_length=64)  # digest of the answers: identical forms match
    answered = fields.IntField()  # how many questions it answers

    answers: fields.ReverseRelation[ParticipantAnswer]

    class Meta:
        table = "participant_response"
        indexes = (("grantee_id", "period", "kind"), ("received_at",))


class ParticipantAnswer(Model):
    id = fields.IntField(primary_key=True)
    response: fields.ForeignKeyRelation[ParticipantResponse] = fields.ForeignKeyField(
        "models.ParticipantResponse", related_name="answers", on_delete=fields.OnDelete.CASCADE
    )
    response_id: int
    item_id = fields.CharField(max_length=40)
    value = fields.CharField(max_length=40)
    # copies of the form's columns, so a grantee's figures are one index-only grouped scan
    grantee_id = fields.IntField()
    period = fields.CharField(max_length=50)
    kind = fields.CharField(max_length=12)
    held = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "participant_answer"
        unique_together = (("response", "item_id"),)
        indexes = (("grantee_id", "period", "held", "kind", "item_id", "value"),)


class ParticipantForm(Model):
    """A grantee's online participant form for one period and kind, and whether it takes answers."""

    id = fields.IntField(primary_key=True)
    grantee: fields.ForeignKeyRelation[Grantee] = fields.ForeignKeyField(
        "models.Grantee", related_name="participant_forms", on_delete=fields.OnDelete.CASCADE
    )
    grantee_id: int
    period = fields.CharField(max_length=50)
    kind = fields.CharField(max_length=12)  # baseline | follow_up
    # Kept as it is, not hashed like a check-in's private link: it is printed on posters and
    # handouts for anyone to type, so it guards nothing a hash would protect, and keeping it lets
    # the same address be printed again after the secret it was made with has changed.
    # Null until a form, poster or link is made (a form may be paused before that).
    token = fields.CharField(max_length=32, null=True, unique=True)
    status = fields.CharField(max_length=8, default="open")  # open | paused | closed
    status_changed_at = fields.DatetimeField()  # UTC
    created_at = fields.DatetimeField()

    class Meta:
        table = "participant_form"
        unique_together = (("grantee", "period", "kind"),)
