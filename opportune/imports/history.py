"""Dating what an import brings along from the other system's past."""

from __future__ import annotations

import datetime as dt

from opportune.opportunities.services import OpportunityDraft, stage_in


def opened_at(
    draft: OpportunityDraft, now: dt.datetime, created: dt.datetime | None = None
) -> dt.datetime:
    """When an imported opportunity's one history row (and its close) is dated: a deal the
    file says is won or lost closed on its close date (noon UTC), when that date is past, so
    forecasts and win rates count it in its period; an open deal whose file gives a created
    date (Salesforce's CreatedDate, HubSpot's Create Date, Pipedrive's Deal created, ours
    created_at) entered its stage then, so the pipeline as of an earlier day holds it; any
    other deal enters its stage now."""
    stage = stage_in(draft.pipeline, draft.stage_key)
    if stage.is_closed and draft.close_date < now.date():
        return dt.datetime.combine(draft.close_date, dt.time(12), tzinfo=dt.UTC)
    if not stage.is_closed and created is not None and created <= now:
        return created
    return now
