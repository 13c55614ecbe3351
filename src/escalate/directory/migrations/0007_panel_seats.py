"""Membership of a partnership's panels becomes directory data (``PanelSeat``: who may sit on
which kind of panel, for which agency) instead of a flag on a person. Everyone flagged keeps
what the flag gave them: a seat on every kind of panel, for their own agency. The flag itself
goes in the next migration (on PostgreSQL a table cannot be altered in the transaction that
wrote rows referring to it)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

KINDS = ("resolution-panel", "mediation", "sub-committee", "executive")


def seats_from_flags(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Person = apps.get_model("directory", "Person")
    PanelSeat = apps.get_model("directory", "PanelSeat")
    flagged = Person.objects.filter(is_panel_member=True).select_related("agency")
    PanelSeat.objects.bulk_create(
        [
            PanelSeat(
                partnership_id=person.agency.partnership_id,
                kind=kind,
                person_id=person.pk,
                agency_id=person.agency_id,
            )
            for person in flagged
            for kind in KINDS
        ]
    )


def flags_from_seats(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Person = apps.get_model("directory", "Person")
    PanelSeat = apps.get_model("directory", "PanelSeat")
    seated = PanelSeat.objects.values_list("person_id", flat=True)
    Person.objects.filter(pk__in=seated).update(is_panel_member=True)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_notifications_settings"),
    ]

    operations = [
        migrations.CreateModel(
            name="PanelSeat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("resolution-panel", "Resolution panel"),
                            ("mediation", "Mediation"),
                            ("sub-committee", "Sub-committee"),
                            ("executive", "Executive"),
                        ],
                        help_text="The kind of panel: a resolution panel, mediation, a "
                        "sub-committee or the executive.",
                        max_length=40,
                    ),
                ),
                (
                    "agency",
                    models.ForeignKey(
                        help_text="The agency they represent on the panel (usually their own).",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="panel_seats",
                        to="directory.agency",
                    ),
                ),
                (
                    "partnership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="panel_seats",
                        to="directory.partnership",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="panel_seats",
                        to="directory.person",
                    ),
                ),
            ],
            options={
                "ordering": ["partnership", "kind", "agency", "person"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("partnership", "kind", "person", "agency"), name="panel_seat_once"
                    )
                ],
            },
        ),
        migrations.RunPython(seats_from_flags, flags_from_seats),
    ]
