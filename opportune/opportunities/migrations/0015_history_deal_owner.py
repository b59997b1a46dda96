"""Each history row keeps its deal's owner today (``deal_owner``; the rows written before are
given it here, in one statement), and the pipeline changes' window indexes hold the values
they classify by: by moment, and by owner and moment."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0014_history_change_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="opportunityhistory",
            name="opp_history_window",
        ),
        migrations.AddField(
            model_name="opportunityhistory",
            name="deal_owner",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(
            """
            UPDATE opportunities_opportunityhistory SET deal_owner_id = (
                SELECT o.owner_id FROM opportunities_opportunity o
                WHERE o.id = opportunities_opportunityhistory.opportunity_id
            )
            """,
            migrations.RunSQL.noop,
            elidable=False,
        ),
        migrations.AddIndex(
            model_name="opportunityhistory",
            index=models.Index(
                fields=[
                    "changed_at",
                    "opportunity",
                    "id",
                    "stage",
                    "amount",
                    "close_date",
                    "forecast_category",
                ],
                name="opp_history_window",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunityhistory",
            index=models.Index(
                fields=[
                    "deal_owner",
                    "changed_at",
                    "opportunity",
                    "id",
                    "stage",
                    "amount",
                    "close_date",
                    "forecast_category",
                ],
                name="opp_history_by_owner",
            ),
        ),
    ]
