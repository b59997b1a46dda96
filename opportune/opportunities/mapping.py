"""Where a deal lands when it moves to another pipeline (issue 14, "deals without a lead").

One rule, used by the service (``change_opportunity(pipeline=...)``), the move dialog's
proposal and the API alike:
- a closed deal keeps its outcome: a won deal maps to the target's won stage, a lost deal
  to its lost stage (a pipeline without one refuses the move, naming the pipeline);
- an open deal maps to the target's open stage with the same key, else to the open stage
  whose default probability is nearest, then whose order is nearest (then the earlier one).
"""

from __future__ import annotations

from opportune.errors import field_error

from .models import Pipeline, Stage


def _nearest(stage: Stage, candidates: list[Stage]) -> Stage:
    return min(
        candidates,
        key=lambda s: (
            abs(s.default_probability - stage.default_probability),
            abs(s.order - stage.order),
            s.order,
            s.pk,
        ),
    )


def mapped_stage(
    stage: Stage, is_closed: bool, is_won: bool, target: Pipeline, stages: list[Stage] | None = None
) -> Stage:
    """The target pipeline's stage for a deal now at ``stage`` (closed/won as given)."""
    active = stages if stages is not None else list(target.stages.filter(is_active=True))
    if is_closed:
        outcome = [s for s in active if s.is_closed and s.is_won == is_won]
        if not outcome:
            word = "won" if is_won else "lost"
            raise field_error(
                "pipeline", f"The pipeline '{target.key}' has no active {word} stage."
            )
        return outcome[0]
    open_stages = [s for s in active if not s.is_closed]
    if not open_stages:
        raise field_error("pipeline", f"The pipeline '{target.key}' has no active open stage.")
    same_key = next((s for s in open_stages if s.key == stage.key), None)
    return same_key or _nearest(stage, open_stages)


def stage_choices(is_closed: bool, is_won: bool, stages: list[Stage]) -> list[Stage]:
    """The stages a user may pick instead of the proposal: those keeping the deal's state
    (open stages for an open deal, the same outcome for a closed one)."""
    if is_closed:
        return [s for s in stages if s.is_closed and s.is_won == is_won]
    return [s for s in stages if not s.is_closed]
