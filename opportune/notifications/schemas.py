"""The preferences' input, shared by the API and the preferences page."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ChannelName = Literal["in_app", "email", "both", "none"]


class PreferencesIn(BaseModel):
    """Channels per kind of event; a kind left out keeps its channel."""

    model_config = ConfigDict(extra="forbid")

    assigned: ChannelName | None = Field(None, description="A lead or deal assigned to me")
    task_due: ChannelName | None = Field(None, description="A task of mine falls due")
    deal_moved: ChannelName | None = Field(
        None, description="A deal of mine moved or closed by someone else"
    )
    mentioned: ChannelName | None = Field(None, description="An @mention of me in a note")

    def changes(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}
