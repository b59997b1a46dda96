"""The standard picklist values of Salesforce, HubSpot and Pipedrive exports, and the
Opportune key each lands on (of the default configuration: statuses, stages, sources).

Sources (also cited by ``tests/test_vendor_exports.py``):
- Salesforce lead statuses, sources, ratings, opportunity stages, types and forecast
  categories: the standard picklists of Lead and Opportunity, object reference
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-leadstatus.html
  and .../object-opportunitystage.html.
- HubSpot: lead status (``hs_lead_status``), lifecycle stage (8 default stages,
  https://developers.hubspot.com/changelog/upcoming-customized-lifecycle-stages-for-contacts-and-companies),
  original source (https://knowledge.hubspot.com/properties/understand-source-properties) and
  the default deal pipeline's stages (https://developers.hubspot.com/docs/methods/pipelines/pipelines_overview).
- Pipedrive: lead sources (https://developers.pipedrive.com/docs/api/v1/LeadSources), lead
  labels (Hot, Warm, Cold), the default pipeline's stages and deal statuses (open, won, lost).

Keys are compared folded (``picklists.fold``): "IN_PROGRESS", "In Progress" and "in progress"
are one value. A key the installation no longer has is ignored (the value is then unmapped).
"""

from __future__ import annotations

SALESFORCE = {
    "status": {
        "Open - Not Contacted": "new",
        "Working - Contacted": "working",
        "Closed - Converted": "converted",
        "Closed - Not Converted": "unqualified",
    },
    "source": {
        "Web": "web",
        "Phone Inquiry": "cold_call",
        "Partner Referral": "referral",
        "Purchased List": "other",
        "Other": "other",
        "Advertisement": "advertisement",
        "Employee Referral": "referral",
        "External Referral": "referral",
        "Partner": "partner",
        "Public Relations": "other",
        "Seminar - Internal": "event",
        "Seminar - Partner": "event",
        "Trade Show": "event",
        "Word of mouth": "referral",
    },
    "stage": {
        "Prospecting": "prospecting",
        "Qualification": "qualification",
        "Needs Analysis": "needs_analysis",
        "Value Proposition": "value_proposition",
        "Id. Decision Makers": "id_decision_makers",
        "Perception Analysis": "perception_analysis",
        "Proposal/Price Quote": "proposal",
        "Negotiation/Review": "negotiation",
        "Closed Won": "closed_won",
        "Closed Lost": "closed_lost",
    },
    "type": {
        "New Customer": "new_business",
        "Existing Customer - Upgrade": "existing_upgrade",
        "Existing Customer - Replacement": "existing_replacement",
        "Existing Customer - Downgrade": "existing_downgrade",
    },
    # Task.Type (Call, Email, Meeting, Other…); an "Other" or blank type takes the row's
    # subtype (Task.TaskSubtype, Event.EventSubtype), else it is a task (activity_importer.py).
    "kind": {
        "Call": "call",
        "Email": "email",
        "Meeting": "meeting",
        "Other": "other",
        "Send Letter": "task",
        "Send Quote": "task",
    },
    "subtype": {
        "Task": "task",
        "Call": "call",
        "Email": "email",
        "ListEmail": "email",
        "Cadence": "task",
        "LinkedIn": "task",
        "Event": "meeting",
    },
    # Task.Status: only "Completed" is done.
    "activity_status": {
        "Not Started": "open",
        "In Progress": "open",
        "Completed": "done",
        "Waiting on someone else": "open",
        "Deferred": "open",
    },
    "forecast_category": {
        "Pipeline": "pipeline",
        "Best Case": "best_case",
        "Commit": "commit",
        "Closed": "closed",
        "Omitted": "omitted",
    },
}

HUBSPOT = {
    "status": {
        "New": "new",
        "Open": "new",
        "In Progress": "working",
        "Attempted to Contact": "working",
        "Connected": "working",
        "Open Deal": "qualified",
        "Bad Timing": "nurturing",
        "Unqualified": "unqualified",
    },
    # A contact's lifecycle stage gives its lead status when the file has no lead status.
    "lifecycle_stage": {
        "Subscriber": "nurturing",
        "Lead": "new",
        "Marketing Qualified Lead": "working",
        "marketingqualifiedlead": "working",
        "Sales Qualified Lead": "qualified",
        "salesqualifiedlead": "qualified",
        "Opportunity": "qualified",
        "Customer": "converted",
        "Evangelist": "converted",
        "Other": "new",
    },
    "source": {
        "Organic search": "web",
        "Paid search": "advertisement",
        "Email marketing": "email_campaign",
        "Organic social": "web",
        "Social media": "web",
        "Referrals": "referral",
        "Other campaigns": "other",
        "Direct traffic": "web",
        "Offline sources": "other",
        "Offline": "other",
        "Paid social": "advertisement",
    },
    "stage": {
        "Appointment Scheduled": "qualification",
        "appointmentscheduled": "qualification",
        "Qualified To Buy": "needs_analysis",
        "qualifiedtobuy": "needs_analysis",
        "Presentation Scheduled": "value_proposition",
        "presentationscheduled": "value_proposition",
        "Decision Maker Bought-In": "id_decision_makers",
        "decisionmakerboughtin": "id_decision_makers",
        "Contract Sent": "negotiation",
        "contractsent": "negotiation",
        "closedwon": "closed_won",
        "closedlost": "closed_lost",
    },
    # Engagement types (hs_engagement_type / "Activity type"); task status (hs_task_status).
    "kind": {
        "CALL": "call",
        "EMAIL": "email",
        "INCOMING_EMAIL": "email",
        "FORWARDED_EMAIL": "email",
        "MEETING": "meeting",
        "NOTE": "note",
        "TASK": "task",
    },
    "activity_status": {
        "NOT_STARTED": "open",
        "IN_PROGRESS": "open",
        "WAITING": "open",
        "DEFERRED": "open",
        "COMPLETED": "done",
    },
    "type": {
        "New Business": "new_business",
        "newbusiness": "new_business",
        "Existing Business": "existing_upgrade",
        "existingbusiness": "existing_upgrade",
    },
}

PIPEDRIVE = {
    "source": {
        "Manually created": "other",
        "Deal": "other",
        "Web forms": "web",
        "Prospector": "other",
        "Leadbooster": "web",
        "Chatbot": "web",
        "Live chat": "web",
        "Import": "other",
        "Website visitors": "web",
        "Web visitors": "web",
        "Workflow automation": "other",
        "API": "other",
        "Marketplace": "partner",
    },
    # Lead and person labels.
    "rating": {"Hot lead": "hot", "Warm lead": "warm", "Cold lead": "cold"},
    "stage": {
        "Qualified": "qualification",
        "Contact Made": "needs_analysis",
        "Demo Scheduled": "value_proposition",
        "Needs Defined": "value_proposition",
        "Proposal Made": "proposal",
        "Negotiations Started": "negotiation",
    },
    "deal_status": {"Open": "open", "Won": "won", "Lost": "lost", "Deleted": "lost"},
    # Activity types (key_string: call, meeting, task, deadline, email, lunch) and "Done".
    "kind": {
        "Call": "call",
        "Meeting": "meeting",
        "Task": "task",
        "Deadline": "task",
        "Email": "email",
        "Lunch": "meeting",
    },
    "is_done": {"Done": "true", "To do": "false"},
}

# Words spreadsheets and web forms use.
COMMON = {
    "is_done": {
        "yes": "true",
        "no": "false",
        "1": "true",
        "0": "false",
        "done": "true",
        "completed": "true",
        "open": "false",
    },
    "source": {
        "Website": "web",
        "Web form": "web",
        "Online": "web",
        "Webinar": "event",
        "Seminar": "event",
        "Conference": "event",
        "Word of mouth": "referral",
        "Cold calling": "cold_call",
        "Paid social": "advertisement",
        "Email": "email_campaign",
    },
}

# What HubSpot ("Sales Pipeline", internally "default") and Pipedrive ("Pipeline") call the
# pipeline every account starts with: Opportune's default pipeline.
DEFAULT_PIPELINE_NAMES = ("Sales Pipeline", "default", "Pipeline")

VENDORS = {
    "Salesforce": SALESFORCE,
    "HubSpot": HUBSPOT,
    "Pipedrive": PIPEDRIVE,
    "common words": COMMON,
}


def vendor_values(field: str) -> dict[str, str]:
    """Every vendor's {file value: key} for one field (the first vendor wins a clash)."""
    merged: dict[str, str] = {}
    for maps in VENDORS.values():
        for value, key in maps.get(field, {}).items():
            merged.setdefault(value, key)
    return merged
