"""Admin screens: assignment rules (ordered, with a "test a lead" action), web-to-lead forms
(with the HTML snippet to paste) and the merge log."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from opportune.leads.models import Lead

from .models import AssignmentRule, LeadMerge, WebForm
from .services import preview_assignment
from .web_forms import form_snippet


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin[AssignmentRule]):
    list_display = (
        "order",
        "name",
        "is_active",
        "criteria_summary",
        "assign_to",
        "round_robin_team",
    )
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    ordering = ("order", "pk")
    actions = ["test_leads"]
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active")}),
        (
            "Criteria (all must hold; empty ones match anything)",
            {
                "fields": (
                    "sources",
                    "countries",
                    "states",
                    "industries",
                    "campaigns",
                    ("employees_min", "employees_max"),
                    ("annual_revenue_min", "annual_revenue_max"),
                )
            },
        ),
        ("Assign to", {"fields": ("assign_to", "round_robin_team")}),
    )

    @admin.display(description="criteria")
    def criteria_summary(self, rule: AssignmentRule) -> str:
        parts = [f"{k}: {', '.join(sorted(v))}" for k, v in rule.criteria().items() if v]
        if rule.employees_min is not None or rule.employees_max is not None:
            parts.append(f"employees {rule.employees_min or 0}-{rule.employees_max or '∞'}")
        if rule.annual_revenue_min is not None or rule.annual_revenue_max is not None:
            parts.append(f"revenue {rule.annual_revenue_min or 0}-{rule.annual_revenue_max or '∞'}")
        return "; ".join(parts) or "any lead"

    @admin.action(description="Test a lead against the rules")
    def test_leads(self, request: HttpRequest, queryset: QuerySet[AssignmentRule]) -> Any:
        return HttpResponseRedirect(reverse("admin:capture_rule_test"))

    def get_urls(self) -> list[Any]:
        from django.urls import path

        return [
            path(
                "test/",
                self.admin_site.admin_view(self.test_view),
                name="capture_rule_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request: HttpRequest) -> HttpResponse:
        form = RuleTestForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            probe: Any = form.probe(request)
            if probe is None:
                messages.error(request, "No such lead that you can see.")
            else:
                result = preview_assignment(probe)
        context = {
            **self.admin_site.each_context(request),
            "title": "Test a lead against the assignment rules",
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "capture/admin_rule_test.html", context)


class RuleTestForm(forms.Form):
    lead_id = forms.IntegerField(required=False, help_text="An existing lead, or fill the fields.")
    source = forms.CharField(required=False)
    country = forms.CharField(required=False)
    state = forms.CharField(required=False)
    industry = forms.CharField(required=False)
    campaign = forms.CharField(required=False)
    employees = forms.IntegerField(required=False, min_value=0)
    annual_revenue = forms.DecimalField(required=False, min_value=0)

    def probe(self, request: HttpRequest) -> Any:
        data = dict(self.cleaned_data)
        lead_id = data.pop("lead_id")
        if lead_id is not None:
            return Lead.objects.visible_to(request.user).filter(pk=lead_id).first()  # type: ignore[arg-type]
        return SimpleNamespace(**data)


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin[WebForm]):
    list_display = ("name", "key", "is_active", "source", "campaign", "default_owner")
    readonly_fields = ("snippet",)

    @admin.display(description="HTML to paste into your website")
    def snippet(self, form: WebForm) -> str:
        if form.pk is None:
            return "Save the form to see its snippet."
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", form_snippet(form, ""))


@admin.register(LeadMerge)
class LeadMergeAdmin(admin.ModelAdmin[LeadMerge]):
    list_display = ("pk", "master", "merged_by", "merged_at", "undone_at")
    readonly_fields = [f.name for f in LeadMerge._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
