"""``{% may_delete record as flag %}``: whether to show a record page's Delete button."""

from __future__ import annotations

from typing import Any

from django import template

from opportune.identity import policy
from opportune.identity.policy import Verb

register = template.Library()


@register.simple_tag(takes_context=True)
def may_delete(context: dict[str, Any], record: Any) -> bool:
    user = context["request"].user
    return user.is_authenticated and policy.may(user, Verb.DELETE, record)
