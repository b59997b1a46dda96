"""What the web shell itself stores: when a worker was last seen (``opportune/heartbeat.py``)."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A running ``opportune worker`` rewrites its row every few seconds; the UI warns when
    none has been seen for a minute, since imports and scheduled work would wait forever."""

    name = models.CharField(max_length=200, primary_key=True, help_text="host:pid")
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
