from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_web_links")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Grantee",
            name="grant_amount",
            field=fields.DecimalField(null=True, max_digits=12, decimal_places=2),
        ),
        ops.CreateModel(
            name="ParticipantResponse",
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
                        related_name="participant_responses",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("period", fields.CharField(max_length=50)),
                ("kind", fields.CharField(max_length=12)),
                ("channel", fields.CharField(max_length=12)),
                ("framework", fields.CharField(max_length=140)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("held", fields.BooleanField(default=False, db_default=False)),
                ("age_band", fields.CharField(null=True, max_length=20)),
                ("pair_key", fields.CharField(null=True, max_length=64)),
                ("source_key", fields.CharField(null=True, max_length=64)),
                ("signature", fields.CharField(max_length=64)),
                ("answered", fields.IntField()),
            ],
            options={
                "table": "participant_response",
                "app": "models",
                "indexes": [
                    Index(fields=["grantee_id", "period", "kind"]),
                    Index(fields=["received_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One participant's feedback form: no name, only when and how it came in, and its answers.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ParticipantAnswer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "response",
                    fields.ForeignKeyField(
                        "models.ParticipantResponse",
                        source_field="response_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="answers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("item_id", fields.CharField(max_length=40)),
                ("value", fields.CharField(max_length=40)),
                ("grantee_id", fields.IntField()),
                ("period", fields.CharField(max_length=50)),
                ("kind", fields.CharField(max_length=12)),
                ("held", fields.BooleanField(default=False, db_default=False)),
            ],
            options={
                "table": "participant_answer",
                "app": "models",
                "unique_together": (("response", "item_id"),),
                "indexes": [
                    Index(fields=["grantee_id", "period", "held", "kind", "item_id", "value"])
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
