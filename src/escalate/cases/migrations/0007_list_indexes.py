"""Indexes that fit the lists (docs/performance.md, "Lists"): each list's order ending on the
id, with the columns the lists filter on after it, so that a page's ids and a list's count are
read from an index alone; partial indexes of the open escalations (overdue, awaiting, the home
page's counts) and of those open at immediate risk; and an agency's escalations through its
parties (the party index on the agency alone gives way to the agency with the escalation)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_deadlines_and_notifications"),
        ("directory", "0008_remove_person_is_panel_member"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=[
                    "partnership",
                    "next_due_on",
                    "-raised_on",
                    "id",
                    "status",
                    "current_stage",
                    "immediate_risk",
                ],
                name="esc_list_by_due",
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=[
                    "partnership",
                    "-raised_on",
                    "-id",
                    "status",
                    "current_stage",
                    "immediate_risk",
                    "next_due_on",
                ],
                name="esc_list_by_raised",
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=[
                    "partnership",
                    "next_due_on",
                    "-raised_on",
                    "id",
                    "current_stage",
                    "immediate_risk",
                ],
                name="esc_open_by_due",
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(("immediate_risk", True), ("status", "open")),
                fields=["partnership", "next_due_on", "-raised_on", "id"],
                name="esc_at_risk",
            ),
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(fields=["agency", "escalation"], name="party_by_agency"),
        ),
        # Only once the new index is there: the agency's own index is its first column.
        migrations.AlterField(
            model_name="party",
            name="agency",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.agency",
            ),
        ),
    ]
