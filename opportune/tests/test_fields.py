"""Filling only the empty fields of a record: the rule conversion and web forms share."""

from __future__ import annotations

from types import SimpleNamespace

from opportune.fields import fill_empty


def test_only_empty_fields_are_filled_and_false_is_a_value() -> None:
    record = SimpleNamespace(city="", phone=None, title="CEO", do_not_call=False)
    filled = fill_empty(
        record,
        [("city", "Boston"), ("phone", "+1 617"), ("title", "CTO"), ("do_not_call", True)],
    )
    assert filled == ["city", "phone"]
    assert (record.city, record.phone, record.title, record.do_not_call) == (
        "Boston",
        "+1 617",
        "CEO",
        False,
    )


def test_empty_values_never_blank_a_field_and_placeholders_count_as_empty() -> None:
    record = SimpleNamespace(company="[not provided]", city="Paris")
    filled = fill_empty(
        record, [("company", "Globex"), ("city", "")], placeholders={"[not provided]"}
    )
    assert filled == ["company"]
    assert (record.company, record.city) == ("Globex", "Paris")
