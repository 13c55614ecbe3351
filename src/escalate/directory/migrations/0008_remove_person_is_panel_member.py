from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_panel_seats"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="person",
            name="is_panel_member",
        ),
    ]
