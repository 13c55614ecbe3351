"""Each entry says which version of its escalation it made, so that a change posted from a
form opened at an earlier version can tell what it has not seen: a change of stage or status
conflicts with it, anything else is added beside it."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def existing_entries_are_new(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Entries from before this column are dated at their escalation's current version, so a
    form opened before the upgrade treats them as unseen (the careful side)."""
    Entry = apps.get_model("cases", "Entry")
    Escalation = apps.get_model("cases", "Escalation")
    current = Escalation.objects.filter(pk=OuterRef("escalation_id")).values("version")[:1]
    Entry.objects.update(version=Subquery(current))


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_remove_party_view")]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(existing_entries_are_new, migrations.RunPython.noop, elidable=True),
    ]
