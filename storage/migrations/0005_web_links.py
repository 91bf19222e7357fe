from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_send_pauses")]

    initial = False

    operations = [
        ops.CreateModel(
            name="WebLink",
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
                        related_name="web_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "grantee",
                    fields.ForeignKeyField(
                        "models.Grantee",
                        source_field="grantee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="web_links",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("form_key", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "web_link",
                "app": "models",
                "indexes": [Index(fields=["checkin_id"])],
                "pk_attr": "id",
                "table_description": "A private link to one check-in on the web: only the token's SHA-256 is kept.",
            },
            bases=["Model"],
        ),
    ]
