"""Views come from the record (entries of kind "view"), so the never-written ``Party.view``
column goes; and each escalation stores the normalised key of its subject reference, which a
subject access search compares."""

import re
import unicodedata

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# A frozen copy of ``escalate.cases.references.reference_key`` as it was when this migration
# was written: a migration must not change meaning when the application code changes later.
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]+")


def _reference_key(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def fill_reference_keys(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Escalation = apps.get_model("cases", "Escalation")
    batch = []
    for escalation in Escalation.objects.only("pk", "subject_reference").iterator():
        escalation.subject_reference_key = _reference_key(escalation.subject_reference)
        batch.append(escalation)
        if len(batch) >= 500:
            Escalation.objects.bulk_update(batch, ["subject_reference_key"])
            batch = []
    if batch:
        Escalation.objects.bulk_update(batch, ["subject_reference_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_alter_entry_corrects"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="party",
            name="view",
        ),
        migrations.AddField(
            model_name="escalation",
            name="subject_reference_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=80),
        ),
        migrations.RunPython(fill_reference_keys, migrations.RunPython.noop),
    ]
