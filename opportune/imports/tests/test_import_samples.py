"""``bin/import-samples``'s work: every vendor sample export imports into one installation,
dry run then for real, in the order its references need, with zero invalid rows; the report
shows each file's CLI output and a table of the outcomes."""

from __future__ import annotations

import io

import pytest

from opportune.activities.models import Activity
from opportune.imports.samples import PLAN, import_samples


@pytest.mark.django_db
def test_every_vendor_sample_imports_with_zero_invalid_rows() -> None:
    out = io.StringIO()
    outcomes = import_samples(out)
    report = out.getvalue()
    assert len(outcomes) == len(PLAN)
    assert [(o.status, o.dry_invalid, o.invalid) for o in outcomes] == [("done", 0, 0)] * len(
        PLAN
    ), report
    by_file = {(o.sample, o.target): o for o in outcomes}
    # The Data Loader leads are the lead report's people: updated, not created again.
    reloaded = by_file[("salesforce/dataloader-leads.csv", "leads")]
    assert (reloaded.created, reloaded.updated) == (0, 4)
    assert all(o.created == o.rows for o in outcomes if o is not reloaded), report
    # The tasks name a lead by the Salesforce id the matched update recorded.
    call = Activity.objects.select_related("lead").get(subject="Follow up with Jack")
    assert call.lead is not None and call.lead.email == "jrogers@btca.example"
    assert report.count("$ opportune import") == 2 * len(PLAN)
    assert "salesforce/dataloader-tasks.csv          activities       4       4" in report
