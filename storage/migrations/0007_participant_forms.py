from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_participant_responses")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ParticipantForm",
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
                        related_name="participant_forms",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("period", fields.CharField(max_length=50)),
                ("kind", fields.CharField(max_length=12)),
                ("token", fields.CharField(null=True, unique=True, max_length=32)),
                ("status", fields.CharField(default="open", max_length=8)),
                ("status_changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "participant_form",
                "app": "models",
                "unique_together": (("grantee", "period", "kind"),),
                "pk_attr": "id",
                "table_description": "A grantee's online participant form for one period and kind, and whether it takes answers.",
            },
            bases=["Model"],
        ),
    ]
