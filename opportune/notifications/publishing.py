"""The notifications' consumer of committed history (opportune/audit/committed.py): the
rows of one transaction are judged together, so that a bulk write or an import batch (many
``write_history`` calls in one transaction) is judged as a whole by the storm rule."""

from __future__ import annotations

from django.utils import timezone

from opportune.audit.committed import Batches


def notify(batches: Batches) -> None:
    from .delivery import deliver
    from .rules import notices_from

    deliver(notices_from([row for batch in batches for row in batch]), timezone.now())
