"""Which column feeds which field: automatic from header names (ours, and those of
Salesforce's, HubSpot's and Pipedrive's exports), overridden by a saved or given mapping;
and how picklist values and placeholders translate."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from opportune.accounts.schemas import AccountCreate, ContactCreate
from opportune.activities.schemas import ActivityCreate
from opportune.customfields.imports import custom_columns
from opportune.leads.schemas import LeadCreate
from opportune.opportunities.schemas import OpportunityCreate

from .models import Target
from .picklists import fold

# Cells that mean "no answer": web-form defaults and export fillers.
BLANK_VALUES = {"", "select", "n/a", "na", "null", "none", "-", "--", "(none)", "#n/a"}

_LEAD_ALIASES = {
    "first_name": ["firstname", "first", "givenname", "personfirstname", "contactfirstname"],
    "last_name": ["lastname", "last", "surname", "familyname", "personlastname"],
    "full_name": ["name", "fullname", "personname", "contactname", "contactperson"],
    "company": [
        "company",
        "companyname",
        "organization",
        "organisation",
        "organizationname",
        "account",
        "accountname",
        "associatedcompany",
        "companyaccount",
        "personorganization",
    ],
    "title": ["title", "jobtitle", "position", "persontitle"],
    "need_description": ["leadtitle"],
    "budget_amount": ["leadvalue", "budget"],
    "expected_purchase_date": ["leadexpectedclosedate", "expectedpurchasedate"],
    "email": [
        "email",
        "emailaddress",
        "personemail",
        "email1",
        "workemail",
        "personemailwork",
        "primaryemail",
    ],
    "phone": [
        "phone",
        "phonenumber",
        "personphone",
        "mobilephone",
        "mobile",
        "telephone",
        "personphonework",
        "workphone",
        "businessphone",
    ],
    "website": ["website", "websiteurl", "url", "web", "organizationwebsite", "companydomainname"],
    "industry": ["industry", "sector", "organizationindustry"],
    "annual_revenue": ["annualrevenue", "revenue", "organizationannualrevenue"],
    "employees": [
        "employees",
        "numberofemployees",
        "numemployees",
        "companysize",
        "organizationnumberofemployees",
        "employeecount",
        "noofemployees",
    ],
    "street": ["street", "address", "streetaddress", "mailingstreet", "address1"],
    "city": ["city", "mailingcity", "organizationcity"],
    "state": ["state", "stateregion", "province", "region", "mailingstate", "stateprovince"],
    "postal_code": [
        "postalcode",
        "zip",
        "zipcode",
        "postcode",
        "mailingpostalcode",
        "zippostalcode",
    ],
    "country": ["country", "countryregion", "mailingcountry", "organizationcountry"],
    "source": ["source", "leadsource", "originalsource", "leadsourcetype"],
    "campaign": ["campaign", "campaignname", "leadcampaign"],
    "utm_source": ["utmsource"],
    "utm_medium": ["utmmedium"],
    "utm_campaign": ["utmcampaign"],
    "status": ["status", "leadstatus"],
    "lifecycle_stage": ["lifecyclestage"],
    "rating": ["rating", "leadrating", "leadlabels", "leadlabel", "personlabel", "label"],
    "owner": [
        "owner",
        "ownerid",
        "leadowner",
        "contactowner",
        "hubspotowner",
        "ownername",
        "ownerusername",
        "owneremail",
        "salesagent",
        "personowner",
    ],
    "description": ["description", "notes", "note", "comments", "personnote"],
    "disqualify_reason": ["disqualifyreason", "unqualifiedreason", "disqualificationreason"],
    "do_not_call": ["donotcall", "dontcall"],
    "email_opt_out": [
        "emailoptout",
        "hasoptedoutofemail",
        "donotemail",
        "unsubscribed",
        "unsubscribedfromallemail",
    ],
    "external_id": [
        "externalid",
        "id",
        "recordid",
        "leadid",
        "prospectid",
        "contactid",
        "personid",
    ],
}
_ACCOUNT_ALIASES = {
    "name": ["name", "account", "accountname", "company", "companyname", "organizationname"],
    "website": ["website", "websiteurl", "companydomainname", "domain", "organizationwebsite"],
    "industry": ["industry", "sector"],
    "annual_revenue": ["annualrevenue", "revenue"],
    "employees": [
        "employees",
        "numberofemployees",
        "organizationnumberofemployees",
        "organizationemployees",
    ],
    "phone": ["phone", "phonenumber"],
    "billing_street": [
        "billingstreet",
        "street",
        "address",
        "streetaddress",
        "organizationaddress",
    ],
    "billing_city": ["billingcity", "city", "organizationaddresscity"],
    "billing_state": ["billingstate", "state", "stateregion", "stateprovince"],
    "billing_postal_code": ["billingpostalcode", "postalcode", "zip", "zippostalcode"],
    "billing_country": ["billingcountry", "country", "countryregion", "officelocation"],
    "owner": ["owner", "ownerid", "accountowner", "companyowner", "organizationowner"],
    "external_id": ["externalid", "id", "recordid", "accountid", "organizationid"],
    "parent": ["parent", "parentaccount", "parentid", "parentaccountid"],  # see references.py
}
_CONTACT_ALIASES = {
    "first_name": _LEAD_ALIASES["first_name"],
    "last_name": _LEAD_ALIASES["last_name"],
    "full_name": _LEAD_ALIASES["full_name"],
    "account": [
        "account",
        "accountname",
        "accountid",
        "company",
        "companyname",
        "companyaccount",
        "organizationname",
        "personorganization",
        "associatedcompany",
    ],
    "title": _LEAD_ALIASES["title"],
    "email": _LEAD_ALIASES["email"],
    "phone": _LEAD_ALIASES["phone"],
    "mailing_street": ["mailingstreet", "street", "address", "streetaddress"],
    "mailing_city": ["mailingcity", "city"],
    "mailing_state": ["mailingstate", "state", "stateregion", "stateprovince"],
    "mailing_postal_code": ["mailingpostalcode", "postalcode", "zip", "zippostalcode"],
    "mailing_country": ["mailingcountry", "country", "countryregion"],
    "lead_source": ["leadsource", "source", "originalsource"],
    "owner": ["owner", "ownerid", "contactowner", "personowner"],
    "do_not_call": _LEAD_ALIASES["do_not_call"],
    "email_opt_out": _LEAD_ALIASES["email_opt_out"],
    "external_id": ["externalid", "id", "recordid", "contactid", "personid"],
}
_OPPORTUNITY_ALIASES = {
    "name": ["name", "opportunityname", "dealname", "title", "opportunityid", "dealtitle"],
    "account": [
        "account",
        "accountname",
        "accountid",
        "company",
        "organization",
        "organizationname",
        "dealorganization",
        "associatedcompany",
    ],
    "pipeline": ["pipeline", "dealpipeline"],
    "stage": ["stage", "stagename", "dealstage"],
    "deal_status": ["dealstatus"],
    "amount": ["amount", "value", "dealvalue", "closevalue"],
    "probability": ["probability", "dealprobability"],
    "forecast_category": ["forecastcategory", "forecastcategoryname"],
    "close_date": ["closedate", "expectedclosedate", "closedat", "dealexpectedclosedate"],
    "type": ["type", "opportunitytype", "dealtype"],
    "lead_source": ["leadsource", "source"],
    "campaign": ["campaign"],
    "next_step": ["nextstep"],
    "description": ["description"],
    "owner": ["owner", "ownerid", "dealowner", "salesagent", "opportunityowner"],
    "lost_reason": ["lostreason", "deallostreason", "closedlostreason"],
    "external_id": ["externalid", "id", "recordid", "dealid", "opportunityid"],
    # When the deal was opened in the other system: its created date (importers.py).
    "created_at": ["createdat", "createddate", "createdate", "dealcreated", "dealdealcreated"],
}
# Activities: Salesforce Task/Event (Data Loader), HubSpot activities, Pipedrive activities
# ("Activity - Type"), ours. The links name records by external id or name/email
# (lead, contact, account, opportunity; Salesforce's who/what), or by our own ids (*_id).
_ACTIVITY_ALIASES = {
    "kind": ["kind", "type", "activitytype", "engagementtype"],
    "subtype": ["subtype", "tasksubtype", "eventsubtype", "activitysubtype"],
    "subject": [
        "subject",
        "activitysubject",
        "title",
        "tasktitle",
        "calltitle",
        "meetingname",
        "emailsubject",
    ],
    "body": [
        "body",
        "description",
        "comments",
        "note",
        "notes",
        "activitynote",
        "bodypreview",
        "notebody",
        "callnotes",
        "emailbody",
    ],
    "due_date": ["duedate", "activitydate", "activityduedate", "date"],
    "start_at": ["startat", "startdatetime", "activitydatetime", "meetingstarttime"],
    "end_at": ["endat", "enddatetime", "meetingendtime"],
    "status": ["status", "taskstatus", "activitystatus"],
    "is_done": ["isdone", "done", "activitydone", "isclosed", "completed"],
    "done_at": [
        "doneat",
        "completeddatetime",
        "completedat",
        "markedasdonetime",
        "activitymarkedasdonetime",
        "taskcompletiondate",
    ],
    "owner": [
        "owner",
        "ownerid",
        "activityowner",
        "assignedto",
        "assignedtouser",
        "activityassignedto",
        "activityassignedtouser",
        "hubspotowner",
    ],
    "lead": ["lead", "associatedlead", "associatedleadids"],
    "contact": [
        "contact",
        "person",
        "activityperson",
        "personid",
        "associatedcontact",
        "associatedcontactids",
    ],
    "account": [
        "account",
        "organization",
        "activityorganization",
        "orgid",
        "company",
        "associatedcompany",
        "associatedcompanyids",
    ],
    "opportunity": [
        "opportunity",
        "deal",
        "activitydeal",
        "dealid",
        "associateddeal",
        "associateddealids",
    ],
    "who": ["who", "whoid"],
    "what": ["what", "whatid"],
    "lead_id": [],
    "contact_id": [],
    "account_id": [],
    "opportunity_id": [],
    "external_id": ["externalid", "id", "recordid", "activityid", "engagementid"],
    "created_at": ["createdat", "createddate", "createdate", "activityaddtime", "addtime"],
}
ALIASES = {
    Target.ACTIVITIES: _ACTIVITY_ALIASES,
    Target.LEADS: _LEAD_ALIASES,
    Target.ACCOUNTS: _ACCOUNT_ALIASES,
    Target.CONTACTS: _CONTACT_ALIASES,
    Target.OPPORTUNITIES: _OPPORTUNITY_ALIASES,
}
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    Target.LEADS: [("last_name", "full_name"), ("company",)],
    Target.ACCOUNTS: [("name",)],
    Target.CONTACTS: [("last_name", "full_name")],
    Target.OPPORTUNITIES: [("name",), ("account",), ("close_date",)],
    # An activity's subject may come from its body or kind, its link from any link column:
    # checked row by row (activity_importer.py).
    Target.ACTIVITIES: [],
}
# Input fields of each target's schema that a column may fill besides the aliased ones (an
# Opportune export's own headers), and fields the importer reads but the schema has not.
SCHEMAS: dict[str, type[BaseModel]] = {
    Target.LEADS: LeadCreate,
    Target.ACCOUNTS: AccountCreate,
    Target.CONTACTS: ContactCreate,
    Target.OPPORTUNITIES: OpportunityCreate,
    Target.ACTIVITIES: ActivityCreate,
}
_READ_ONLY = {"owner_id", "account_id", "parent_id", "primary_contact_id"}
_IMPORTER_FIELDS = {"owner", "external_id", "full_name", "created_at"}


# Other apps' fields a column may fill (custom fields): a function of the target answering
# their names, as the importer receives them (the mapping's field names).
FIELD_PROVIDERS: list[Callable[[Target], list[str]]] = []


def fields_of(target: str) -> list[str]:
    """Every field a column of a ``target`` file may be mapped to."""
    names = list(ALIASES[Target(target)])
    for name in SCHEMAS[Target(target)].model_fields:
        if name not in _READ_ONLY and name not in names:
            names.append(name)
    for provider in FIELD_PROVIDERS:
        names.extend(name for name in provider(Target(target)) if name not in names)
    return names


_SEPARATORS = re.compile(r"[^a-z0-9]+")


def normalize_header(header: str) -> str:
    """'Lead - Source', 'LeadSource' and 'lead_source' all give 'leadsource'."""
    return _SEPARATORS.sub("", header.casefold())


def auto_columns(target: str, headers: list[str]) -> dict[str, str]:
    """{header: field} for the headers whose names say which field they hold."""
    lookup: dict[str, str] = {}
    for name, aliases in ALIASES[Target(target)].items():
        lookup.setdefault(normalize_header(name), name)
        for alias in aliases:
            lookup.setdefault(alias, name)
    for name in fields_of(target):
        lookup.setdefault(normalize_header(name), name)
    columns: dict[str, str] = custom_columns(headers)  # custom.<key> (customfields/imports.py)
    taken: set[str] = set()
    for header in headers:
        found = lookup.get(normalize_header(header))
        if found and found not in taken and header not in columns:
            columns[header] = found
            taken.add(found)
    return columns


@dataclass
class Mapping:
    """The resolved mapping a job runs with. ``values`` is {field: {file value: key}}, its
    file values folded (``picklists.fold``); ``new_values`` is {field: {key: label}}, the
    picklist values the real run adds before its first row."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    new_values: dict[str, dict[str, str]] = field(default_factory=dict)
    # The custom fields the mapping declares (``spec``), carried so a downloaded or saved
    # mapping brings them to another installation.
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls, target: str, headers: list[str], given: dict[str, Any] | None = None
    ) -> Mapping:
        given = given or {}
        columns = auto_columns(target, headers)
        for header, name in (given.get("columns") or {}).items():
            if header not in headers:
                continue
            # A given field takes over from any header that auto-mapping gave it.
            columns = {h: f for h, f in columns.items() if f != name or not name}
            columns[header] = name
        # Every column of the file, in its order; skipped ones map to '' (so a rerun with
        # this mapping skips them again, and a report names them).
        return cls(
            columns={header: columns.get(header, "") for header in headers},
            values={
                f: {fold(str(k)): v for k, v in m.items()}
                for f, m in (given.get("values") or {}).items()
            },
            defaults=dict(given.get("defaults") or {}),
            options=dict(given.get("options") or {}),
            new_values={f: dict(m) for f, m in (given.get("new_values") or {}).items()},
            custom_fields=dict(given.get("custom_fields") or {}),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "values": self.values,
            "defaults": self.defaults,
            "options": self.options,
            "new_values": self.new_values,
            "custom_fields": self.custom_fields,
        }

    def missing_required(self, target: str) -> list[str]:
        provided = set(self.columns.values()) | {k for k, v in self.defaults.items() if v}
        return [
            " or ".join(options)
            for options in REQUIRED[Target(target)]
            if not provided.intersection(options)
        ]

    def header_of(self, name: str) -> str:
        """The file's column for a field ('account_id' is fed by the 'account' column)."""
        for candidate in (name, name.removesuffix("_id")):
            for header, mapped in self.columns.items():
                if mapped == candidate:
                    return header
        return name

    def translate(self, name: str, raw: str) -> str | None:
        """One cell by the job's own value mapping: '' for placeholders and values mapped
        to blank, the mapped value, or None when the mapping says nothing of it."""
        value = raw.strip()
        folded = fold(value)
        if value.casefold() in BLANK_VALUES:
            return ""
        own = self.values.get(name)
        if own and folded in own:
            return str(own[folded])
        return None
