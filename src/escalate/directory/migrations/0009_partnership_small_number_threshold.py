import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0008_remove_person_is_panel_member"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnership",
            name="small_number_threshold",
            field=models.PositiveSmallIntegerField(
                default=5,
                help_text='In figures published outside the partnership, a count above 0 and below this is shown as "fewer than" this number, so that nobody can be identified (at least 3).',
                validators=[django.core.validators.MinValueValidator(3)],
                verbose_name="small-number threshold",
            ),
        ),
        migrations.AddConstraint(
            model_name="partnership",
            constraint=models.CheckConstraint(
                condition=models.Q(("small_number_threshold__gte", 3)),
                name="small_number_threshold_at_least_3",
            ),
        ),
    ]
