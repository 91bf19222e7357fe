import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Funder",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("name", fields.CharField(max_length=200)),
            ],
            options={"table": "funder", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Programme",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "funder",
                    fields.ForeignKeyField(
                        "models.Funder",
                        source_field="funder_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="programmes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("name", fields.CharField(max_length=200)),
                ("framework_id", fields.CharField(max_length=100)),
                ("framework_version", fields.IntField()),
                ("framework_toml", fields.TextField(unique=False)),
                (
                    "contacts",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "activity_types",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "schedule",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("digest_slack_channel", fields.CharField(null=True, max_length=100)),
            ],
            options={"table": "programme", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Grantee",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "programme",
                    fields.ForeignKeyField(
                        "models.Programme",
                        source_field="programme_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grantees",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                ("organisation", fields.CharField(max_length=200)),
                ("email", fields.CharField(max_length=320)),
                ("slack_user_id", fields.CharField(null=True, db_index=True, max_length=50)),
                ("timezone", fields.CharField(max_length=64)),
                ("activity_type", fields.CharField(max_length=100)),
                ("local_authority", fields.CharField(max_length=200)),
                ("active", fields.BooleanField(default=True, db_default=True)),
                ("away_until", fields.DateField(null=True)),
                ("email_failing", fields.BooleanField(default=False, db_default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "grantee",
                "app": "models",
                "unique_together": (("programme", "email"),),
                "indexes": [Index(fields=["email"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Round",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "programme",
                    fields.ForeignKeyField(
                        "models.Programme",
                        source_field="programme_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="rounds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("period", fields.CharField(max_length=50)),
                ("opened_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("due_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("closes_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "round",
                "app": "models",
                "unique_together": (("programme", "period"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CheckIn",
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
                        related_name="checkins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "grantee",
                    fields.ForeignKeyField(
                        "models.Grantee",
                        source_field="grantee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="checkins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharField(
                        default="not_started", db_default="not_started", max_length=20
                    ),
                ),
                (
                    "state",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("version", fields.IntField(default=1, db_default=1)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "completed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "checkin",
                "app": "models",
                "unique_together": (("round", "grantee"),),
                "indexes": [Index(fields=["grantee_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Answer",
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
                        related_name="answers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("question_id", fields.CharField(max_length=100)),
                ("question_version", fields.IntField()),
                (
                    "value",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("raw_text", fields.TextField(unique=False)),
                ("channel", fields.CharField(max_length=20)),
                ("skipped", fields.BooleanField(default=False, db_default=False)),
                ("answered_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "answer",
                "app": "models",
                "unique_together": (("checkin", "question_id"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AnswerChange",
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
                        related_name="answer_changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("question_id", fields.CharField(max_length=100)),
                ("question_version", fields.IntField()),
                (
                    "old_value",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "new_value",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("old_skipped", fields.BooleanField(null=True)),
                ("new_skipped", fields.BooleanField()),
                ("raw_text", fields.TextField(unique=False)),
                ("channel", fields.CharField(max_length=20)),
                ("actor", fields.CharField(max_length=255)),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "answer_change",
                "app": "models",
                "indexes": [Index(fields=["checkin_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="InboundMessage",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("channel", fields.CharField(max_length=20)),
                ("external_id", fields.CharField(max_length=255)),
                (
                    "checkin",
                    fields.ForeignKeyField(
                        "models.CheckIn",
                        source_field="checkin_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="inbound_messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("outcome", fields.CharField(max_length=30)),
                ("detail", fields.TextField(default="", unique=False)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "inbound_message",
                "app": "models",
                "unique_together": (("channel", "external_id"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboundMessage",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=255)),
                ("channel", fields.CharField(max_length=20)),
                ("recipient", fields.CharField(max_length=320)),
                (
                    "checkin",
                    fields.ForeignKeyField(
                        "models.CheckIn",
                        source_field="checkin_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="outbound_messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "payload",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "status",
                    fields.CharField(default="pending", db_default="pending", max_length=20),
                ),
                ("attempts", fields.IntField(default=0, db_default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("external_id", fields.CharField(null=True, max_length=255)),
                ("last_error", fields.TextField(null=True, unique=False)),
            ],
            options={
                "table": "outbound_message",
                "app": "models",
                "indexes": [Index(fields=["status", "next_attempt_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
