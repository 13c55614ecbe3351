"""One chain per partnership and one for the installation, after the legacy chain (ADR 0006).

Every entry already written stays as it is (the triggers refuse UPDATE, and its hash covers
what it covered): with ``chain`` and ``chain_sequence`` empty it is in the *legacy* chain,
verified as before. New entries fill both.

Nothing here rebuilds the table on SQLite (which would drop the append-only triggers): the
columns are nullable with no default (``ALTER TABLE ADD COLUMN``) and the index and the unique
constraint are partial (``CREATE [UNIQUE] INDEX``). On PostgreSQL the global ``sequence`` of new
entries comes from a database sequence, started after the last legacy entry.

Stop every process running the previous release before migrating: it would keep writing the
legacy chain, after entries it does not know about.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SEQUENCE = "audit_auditentry_sequence_seq"

POSTGRESQL_FORWARD = [
    f'CREATE SEQUENCE "{SEQUENCE}" AS bigint OWNED BY "audit_auditentry"."sequence"',
    f"""SELECT setval('"{SEQUENCE}"', COALESCE(MAX("sequence"), 0) + 1, false)
        FROM "audit_auditentry" """,  # noqa: S608 (constants)
]
POSTGRESQL_BACKWARD = [f'DROP SEQUENCE IF EXISTS "{SEQUENCE}"']

CHAINED_ENTRIES_EXIST = (
    "Audit entries have been written in chains; the previous release would chain after them "
    "as if they were legacy entries and the trail would no longer verify. Not going back."
)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_FORWARD:
            schema_editor.execute(statement, params=None)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('SELECT 1 FROM "audit_auditentry" WHERE "chain" IS NOT NULL LIMIT 1')
        if cursor.fetchone() is not None:
            raise RuntimeError(CHAINED_ENTRIES_EXIST)
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_notification_actions")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain",
            field=models.BigIntegerField(
                blank=True,
                help_text="The partnership's id, 0 for the installation; empty for legacy entries.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="chain_sequence",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="1, 2, 3, ... within the chain with no gaps: a gap means a deleted entry.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(
                help_text="Increases across the whole trail. Legacy entries: 1, 2, 3, ... with no "
                "gaps; since chains, gaps are allowed (chain_sequence is the gapless one).",
                primary_key=True,
                serialize=False,
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("chain__isnull", True)),
                fields=["sequence"],
                name="audit_legacy_chain",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("chain__isnull", False)),
                fields=("chain", "chain_sequence"),
                name="audit_chain_position",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
