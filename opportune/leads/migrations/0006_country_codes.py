"""Lead countries become ISO 3166 alpha-2 codes ("United States", "USA" -> "US"), as every
write path now stores them; values naming no country stay as typed. One UPDATE per distinct
value; the phone match key is recomputed where the country (its phone region) changed."""

from django.db import migrations


def countries_to_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.capture.keys import phone_key
    from opportune.schemas import normalize_country

    Lead = apps.get_model("leads", "Lead")
    for value in list(Lead.objects.values_list("country", flat=True).distinct()):
        code = normalize_country(value)
        if code == value:
            continue
        rows = Lead.objects.filter(country=value)
        batch = []
        for lead in rows.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
            lead.phone_key = phone_key(lead.phone, code)
            batch.append(lead)
            if len(batch) >= 2000:
                Lead.objects.bulk_update(batch, ["phone_key"])
                batch = []
        Lead.objects.bulk_update(batch, ["phone_key"])
        rows.update(country=code)


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_configuration_rules")]

    operations = [
        migrations.RunPython(countries_to_codes, migrations.RunPython.noop, elidable=True),
    ]
