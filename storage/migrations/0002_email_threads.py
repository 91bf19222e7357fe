from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EmailThread",
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
                        related_name="email_threads",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "email_thread",
                "app": "models",
                "unique_together": (("checkin",),),
                "pk_attr": "id",
                "table_description": "One email thread per check-in: its unguessable reply token (reply+TOKEN@domain).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EmailThreadMessage",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "thread",
                    fields.ForeignKeyField(
                        "models.EmailThread",
                        source_field="thread_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("message_id", fields.CharField(unique=True, max_length=255)),
                ("outbound_id", fields.IntField(null=True, unique=True)),
                ("direction", fields.CharField(max_length=3)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "email_thread_message",
                "app": "models",
                "indexes": [Index(fields=["thread_id"])],
                "pk_attr": "id",
                "table_description": "A Message-ID in a thread: ours (sent for an outbound row) or a grantee's reply.",
            },
            bases=["Model"],
        ),
    ]
