import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_email_threads")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CheckInSchedule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "checkin",
                    fields.ForeignKeyField(
                        "models.CheckIn",
                        source_field="checkin_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="schedules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "round",
                    fields.ForeignKeyField(
                        "models.Round",
                        source_field="round_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="schedules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "plan",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("next_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("next_number", fields.IntField(default=0, db_default=0)),
                ("reminders_sent", fields.IntField(default=0, db_default=0)),
                (
                    "snoozed_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "claimed_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "first_sent_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_sent_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("missed", fields.IntField(default=0, db_default=0)),
                ("last_outcome", fields.CharField(default="", db_default="", max_length=40)),
            ],
            options={
                "table": "checkin_schedule",
                "app": "models",
                "unique_together": (("checkin",),),
                "indexes": [Index(fields=["next_at"]), Index(fields=["round_id"])],
                "pk_attr": "id",
                "table_description": "A check-in's scheduled messages: its plan, what is next and when, what was sent or missed.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GranteePreference",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "grantee",
                    fields.ForeignKeyField(
                        "models.Grantee",
                        source_field="grantee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="preferences",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("channel", fields.CharField(null=True, max_length=20)),
                ("reminders_muted", fields.BooleanField(default=False, db_default=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "grantee_preference",
                "app": "models",
                "unique_together": (("grantee",),),
                "pk_attr": "id",
                "table_description": "How a grantee wants to be reached: a channel (none: automatic) and muted reminders.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RoundEvent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "round",
                    fields.ForeignKeyField(
                        "models.Round",
                        source_field="round_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kind", fields.CharField(max_length=40)),
                ("happened_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("detail", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "round_event",
                "app": "models",
                "unique_together": (("round", "kind"),),
                "pk_attr": "id",
                "table_description": "Something done once per round (contacts told at the due date, closed): its claim.",
            },
            bases=["Model"],
        ),
    ]
