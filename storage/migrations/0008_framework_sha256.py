import hashlib
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def hash_framework_texts(apps: Any, schema_editor: Any) -> None:
    """Each programme's framework_sha256, from the text it already keeps."""
    client = schema_editor.client
    update = (
        "UPDATE programme SET framework_sha256 = $1 WHERE id = $2"
        if client.capabilities.dialect == "postgres"
        else "UPDATE programme SET framework_sha256 = ? WHERE id = ?"
    )
    for row in await client.execute_query_dict("SELECT id, framework_toml FROM programme"):
        sha256 = hashlib.sha256(row["framework_toml"].encode("utf-8")).hexdigest()
        await client.execute_query(update, [sha256, row["id"]])


class Migration(migrations.Migration):
    dependencies = [("models", "0007_participant_forms")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Programme",
            name="framework_sha256",
            field=fields.CharField(default="", db_default="", max_length=64),
        ),
        ops.RunPython(hash_framework_texts, ops.RunPython.noop),
    ]
