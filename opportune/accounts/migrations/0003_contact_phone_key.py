"""Contacts keep their phone in E.164, so a new lead is matched against them by phone."""

from django.db import migrations, models


def fill_phone_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.capture.keys import phone_key

    Contact = apps.get_model("accounts", "Contact")
    batch = []
    for contact in Contact.objects.exclude(phone="").only("pk", "phone", "mailing_country").iterator():
        contact.phone_key = phone_key(contact.phone, contact.mailing_country)
        batch.append(contact)
        if len(batch) >= 1000:
            Contact.objects.bulk_update(batch, ["phone_key"])
            batch = []
    Contact.objects.bulk_update(batch, ["phone_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="phone_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=20),
        ),
        migrations.RunPython(fill_phone_keys, migrations.RunPython.noop, elidable=True),
    ]
