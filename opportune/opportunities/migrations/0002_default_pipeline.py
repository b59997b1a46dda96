from django.db import migrations

DEFAULT_STAGES = [
    # key, label, probability, forecast category, is_closed, is_won (PRODUCT.md section 4)
    ("prospecting", "Prospecting", 10, "pipeline", False, False),
    ("qualification", "Qualification", 10, "pipeline", False, False),
    ("needs_analysis", "Needs analysis", 20, "pipeline", False, False),
    ("value_proposition", "Value proposition", 50, "pipeline", False, False),
    ("id_decision_makers", "Id. decision makers", 60, "pipeline", False, False),
    ("perception_analysis", "Perception analysis", 70, "best_case", False, False),
    ("proposal", "Proposal / price quote", 75, "best_case", False, False),
    ("negotiation", "Negotiation / review", 90, "commit", False, False),
    ("closed_won", "Closed won", 100, "closed", True, True),
    ("closed_lost", "Closed lost", 0, "omitted", True, False),
]

DEFAULT_LOST_REASONS = [
    ("price", "Price"),
    ("competitor", "Lost to competitor"),
    ("no_budget", "No budget"),
    ("no_decision", "No decision / went dark"),
    ("timing", "Bad timing"),
    ("product_fit", "Product fit"),
    ("other", "Other"),
]


def create_defaults(apps, schema_editor):
    Pipeline = apps.get_model("opportunities", "Pipeline")
    Stage = apps.get_model("opportunities", "Stage")
    LostReason = apps.get_model("opportunities", "LostReason")
    pipeline, _ = Pipeline.objects.get_or_create(
        key="sales", defaults={"name": "Sales", "is_default": True}
    )
    for order, (key, label, probability, category, is_closed, is_won) in enumerate(DEFAULT_STAGES):
        Stage.objects.get_or_create(
            pipeline=pipeline,
            key=key,
            defaults=dict(
                label=label,
                order=(order + 1) * 10,
                default_probability=probability,
                forecast_category=category,
                is_closed=is_closed,
                is_won=is_won,
            ),
        )
    for order, (key, label) in enumerate(DEFAULT_LOST_REASONS):
        LostReason.objects.get_or_create(key=key, defaults={"label": label, "order": order})


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
