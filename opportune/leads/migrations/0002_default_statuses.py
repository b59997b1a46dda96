from django.db import migrations

DEFAULT_STATUSES = [
    # key, label, order, is_default, is_closed, is_converted
    ("new", "New", 10, True, False, False),
    ("working", "Working", 20, False, False, False),
    ("nurturing", "Nurturing", 30, False, False, False),
    ("qualified", "Qualified", 40, False, False, False),
    ("unqualified", "Unqualified", 50, False, True, False),
    ("converted", "Converted", 60, False, True, True),
]


def create_defaults(apps, schema_editor):
    LeadStatus = apps.get_model("leads", "LeadStatus")
    for key, label, order, is_default, is_closed, is_converted in DEFAULT_STATUSES:
        LeadStatus.objects.get_or_create(
            key=key,
            defaults=dict(
                label=label,
                order=order,
                is_default=is_default,
                is_closed=is_closed,
                is_converted=is_converted,
            ),
        )
    apps.get_model("leads", "QualificationPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
