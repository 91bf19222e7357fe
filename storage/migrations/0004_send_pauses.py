from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0003_scheduling")]

    initial = False

    operations = [
        ops.AddField(
            model_name="OutboundMessage",
            name="lane",
            field=fields.CharField(default="bulk", db_default="bulk", max_length=12),
        ),
        ops.AddField(
            model_name="OutboundMessage",
            name="claimed_by",
            field=fields.CharField(null=True, max_length=120),
        ),
        ops.CreateModel(
            name="SendPause",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("channel", fields.CharField(max_length=20)),
                ("scope", fields.CharField(max_length=255)),
                ("until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "send_pause",
                "app": "models",
                "unique_together": (("channel", "scope"),),
                "pk_attr": "id",
                "table_description": "A service's \"wait until\": Slack's Retry-After for a method or a conversation, shared by\n    every instance.",
            },
            bases=["Model"],
        ),
    ]
