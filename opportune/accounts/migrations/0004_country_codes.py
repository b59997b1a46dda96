"""Account and contact countries become ISO 3166 alpha-2 codes, as every write path now
stores them; values naming no country stay as typed. One UPDATE per distinct value."""

from django.db import migrations


def countries_to_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.capture.keys import phone_key
    from opportune.schemas import normalize_country

    Account = apps.get_model("accounts", "Account")
    for value in list(Account.objects.values_list("billing_country", flat=True).distinct()):
        code = normalize_country(value)
        if code != value:
            Account.objects.filter(billing_country=value).update(billing_country=code)
    Contact = apps.get_model("accounts", "Contact")
    for value in list(Contact.objects.values_list("mailing_country", flat=True).distinct()):
        code = normalize_country(value)
        if code == value:
            continue
        rows = Contact.objects.filter(mailing_country=value)
        batch = list(rows.exclude(phone="").only("pk", "phone"))
        for contact in batch:
            contact.phone_key = phone_key(contact.phone, code)
        Contact.objects.bulk_update(batch, ["phone_key"], batch_size=2000)
        rows.update(mailing_country=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_contact_phone_key")]

    operations = [
        migrations.RunPython(countries_to_codes, migrations.RunPython.noop, elidable=True),
    ]
