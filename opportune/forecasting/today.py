"""Today's open pipeline from the newest stored day and the deals changed since.

Grouping every open deal as it stands is the whole company's open pipeline read at every
request (1M deals: about a second). A fresh stored day (``snapshots``) already holds the
pipeline at its end, with today's owners: a deal reassigned or deleted since its build makes
it stale (``snapshots.fresh_days``). So today's pipeline is that day's stored rows, minus
each deal changed since its end (a history row dated after it) as it stood then, plus the
same deal as it stands now: a deal without such a row stands as it stood, under the owner it
was stored with. The changed deals are found as the pipeline changes find theirs
(``changes.window_rows``: by moment, or by owner for a manager) and joined to the deals the
viewer sees, both sides under today's policy. With no fresh day in the last ``OLDEST`` days
(the worker builds one a day), the caller reads the deals as they stand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection

from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from . import history_sql as sql
from . import snapshots
from .changes import compiled, window_rows

OLDEST = 7  # days: from an older stored day, too many changed deals to replay
# (stage, category, count, amount, amount x probability): a group of the pipeline, as the
# stored rows hold it.
Group = tuple[int, str, int, Any, Any]

# Each changed deal the viewer sees ({visible}: history_sql.visible_deal) now (+1) and at the
# stored day's end (-1), the latter its newest row before that end (history_sql.state_before),
# both kept if in the pipeline ({inside}, over s and its stage st) and grouped like the stored
# rows.
_STATE_COLUMNS = "p.stage_id, p.forecast_category, p.amount, p.probability, p.close_date"
_DELTA = """
WITH v AS (
    SELECT d.id, d.stage_id, d.forecast_category, d.amount, d.probability, d.close_date
    FROM (SELECT DISTINCT y.opportunity_id FROM ({rows}) y) x {visible}
), s (sign, stage_id, forecast_category, amount, probability, close_date) AS (
    SELECT 1, v.stage_id, v.forecast_category, v.amount, v.probability, v.close_date FROM v
    UNION ALL
    SELECT -1, q.stage_id, q.forecast_category, q.amount, q.probability, q.close_date
    FROM v {before}
)
SELECT s.stage_id, s.forecast_category, SUM(s.sign), SUM(s.sign * s.amount),
       SUM(s.sign * s.amount * s.probability)
FROM s JOIN {stage} st ON st.id = s.stage_id
WHERE {inside}
GROUP BY s.stage_id, s.forecast_category
"""


def base(today: dt.date) -> dt.date | None:
    """The newest stored day of the ``OLDEST`` before ``today``, if it is fresh: checked
    against its own marks, apart from the days a report reads (checked together against the
    oldest mark, a month-end built weeks ago would make yesterday look stale)."""
    return snapshots.newest_fresh([today - dt.timedelta(days=n) for n in range(1, OLDEST + 1)])


def current(
    viewer: User, close_from: dt.date | None, close_to: dt.date | None, base: dt.date
) -> list[Group]:
    """The open pipeline now (for a period's close dates, if given) per stage and category,
    from the fresh stored day ``base`` and the deals changed since its end."""
    groups: dict[tuple[int, str], list[Any]] = {}
    for row in snapshots.read(viewer, [base], close_from, close_to):
        key = (row.stage_id, row.forecast_category)
        _add(groups, key, row.count, row.amount, row.amount_x_probability)
    since = snapshots.end_of_day(base)
    for stage, category, count, amount, weighted in _changed_since(
        viewer, since, close_from, close_to
    ):
        _add(groups, (stage, category), count, sql.money(amount), sql.money(weighted))
    # A group the changed deals all left holds nothing, as if it had not been read.
    return [(*key, *figures) for key, figures in groups.items() if figures[0]]


def _changed_since(
    viewer: User, since: dt.datetime, close_from: dt.date | None, close_to: dt.date | None
) -> list[tuple[Any, ...]]:
    """Per stage and category, the changed deals' share now less their share at ``since``."""
    postgres = connection.vendor == "postgresql"
    rows, rows_params = window_rows(viewer, since, None, postgres=postgres)
    visible, visible_params = compiled(
        Opportunity.objects.visible_by_owner_ids(viewer).values(
            "id", "stage_id", "forecast_category", "amount", "probability", "close_date"
        )
    )
    inside, inside_params = sql.open_pipeline_filter(close_from, close_to)
    statement = _DELTA.format(
        rows=rows,
        visible=sql.visible_deal("d", visible, "x.opportunity_id"),
        before=sql.state_before("q", "v.id", _STATE_COLUMNS),
        stage=sql.STAGE,
        inside=inside,
    )
    return sql.fetch(statement, [*rows_params, *visible_params, sql.at(since), *inside_params])


def _add(groups: dict[tuple[int, str], list[Any]], key: tuple[int, str], *figures: Any) -> None:
    """Add (count, amount, amount x probability) to the group ``key``."""
    found = groups.setdefault(key, [0, Decimal(0), Decimal(0)])
    for index, figure in enumerate(figures):
        found[index] += figure
