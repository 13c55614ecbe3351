"""Recovery codes are now kept as digests (``escalate.accounts.mfa.recovery_code_digest``) of
16-character codes. Codes issued before held 8 characters, stored as typed: they are removed
rather than kept in the clear. Anyone who had them sees "0 recovery codes left" on their
account page and makes new ones there (their authenticator app still works)."""

from django.db import migrations

DIGEST_LENGTH = 16
HEX = set("0123456789abcdef")


def remove_codes_kept_in_the_clear(apps, schema_editor):  # type: ignore[no-untyped-def]
    token_model = apps.get_model("otp_static", "StaticToken")
    clear = [
        t.pk
        for t in token_model.objects.only("pk", "token").iterator()
        if len(t.token) != DIGEST_LENGTH or not set(t.token) <= HEX
    ]
    token_model.objects.filter(pk__in=clear).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_session_epoch"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(remove_codes_kept_in_the_clear, migrations.RunPython.noop),
    ]
