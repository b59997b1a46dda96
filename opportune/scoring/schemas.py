"""The win probability fields of an opportunity's API output, read from its stored score
(``select_related("win_score")``; no score: null and no reasons)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from opportune.schemas import OutputSchema


class WinReasonOut(OutputSchema):
    feature: str
    text: str = Field(description="The reason in words, e.g. 'Close date pushed 2 times'.")
    effect: float = Field(
        description="Its effect on the probability (-1 to 1): how much lower "
        "(or higher, if negative) the probability would be without it."
    )


def _probability(score: Any) -> float | None:
    return None if score is None else float(score.probability)


def _reasons(score: Any) -> list[Any]:
    return [] if score is None else list(score.reasons)


WinProbability = Annotated[
    float | None,
    BeforeValidator(_probability),
    Field(
        None,
        validation_alias="win_score",
        description="Predicted chance (0-1) that the open deal closes won; null when closed "
        "or not scored yet.",
    ),
]
WinReasons = Annotated[
    list[WinReasonOut],
    BeforeValidator(_reasons),
    Field(
        default_factory=list,
        validation_alias="win_score",
        description="The top reasons of win_probability, strongest first.",
    ),
]
