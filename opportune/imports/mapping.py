"""Which column feeds which field: automatic from header names (ours, and those of
Salesforce's, HubSpot's and Pipedrive's exports), overridden by a saved or given mapping;
and how picklist values and placeholders translate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from opportune.customfields.imports import custom_columns
from opportune.leads.models import LeadSource, Rating

from .models import Target

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
    ],
    "title": ["title", "jobtitle", "position", "persontitle"],
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
    ],
    "street": ["street", "address", "streetaddress", "mailingstreet", "address1"],
    "city": ["city", "mailingcity", "organizationcity"],
    "state": ["state", "stateregion", "province", "region", "mailingstate", "stateprovince"],
    "postal_code": ["postalcode", "zip", "zipcode", "postcode", "mailingpostalcode"],
    "country": ["country", "countryregion", "mailingcountry", "organizationcountry"],
    "source": ["source", "leadsource", "originalsource", "leadsourcetype"],
    "campaign": ["campaign", "campaignname", "leadcampaign"],
    "utm_source": ["utmsource"],
    "utm_medium": ["utmmedium"],
    "utm_campaign": ["utmcampaign"],
    "status": ["status", "leadstatus"],
    "rating": ["rating", "leadrating"],
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
    ],
    "description": ["description", "notes", "note", "comments"],
    "do_not_call": ["donotcall", "dontcall"],
    "email_opt_out": [
        "emailoptout",
        "hasoptedoutofemail",
        "donotemail",
        "unsubscribed",
        "unsubscribedfromallemail",
    ],
    "external_id": ["externalid", "id", "recordid", "leadid", "prospectid", "contactid"],
}
_ACCOUNT_ALIASES = {
    "name": ["name", "account", "accountname", "company", "companyname", "organizationname"],
    "website": ["website", "websiteurl", "companydomainname", "domain"],
    "industry": ["industry", "sector"],
    "annual_revenue": ["annualrevenue", "revenue"],
    "employees": ["employees", "numberofemployees"],
    "phone": ["phone", "phonenumber"],
    "billing_street": ["billingstreet", "street", "address"],
    "billing_city": ["billingcity", "city"],
    "billing_state": ["billingstate", "state", "stateregion"],
    "billing_postal_code": ["billingpostalcode", "postalcode", "zip"],
    "billing_country": ["billingcountry", "country", "countryregion", "officelocation"],
    "owner": ["owner", "ownerid", "accountowner", "companyowner"],
    "external_id": ["externalid", "id", "recordid", "accountid"],
}
_CONTACT_ALIASES = {
    "first_name": _LEAD_ALIASES["first_name"],
    "last_name": _LEAD_ALIASES["last_name"],
    "full_name": _LEAD_ALIASES["full_name"],
    "account": ["account", "accountname", "company", "companyname", "organizationname"],
    "title": _LEAD_ALIASES["title"],
    "email": _LEAD_ALIASES["email"],
    "phone": _LEAD_ALIASES["phone"],
    "mailing_street": ["mailingstreet", "street", "address"],
    "mailing_city": ["mailingcity", "city"],
    "mailing_state": ["mailingstate", "state", "stateregion"],
    "mailing_postal_code": ["mailingpostalcode", "postalcode", "zip"],
    "mailing_country": ["mailingcountry", "country", "countryregion"],
    "lead_source": ["leadsource", "source", "originalsource"],
    "owner": ["owner", "ownerid", "contactowner"],
    "do_not_call": _LEAD_ALIASES["do_not_call"],
    "email_opt_out": _LEAD_ALIASES["email_opt_out"],
    "external_id": ["externalid", "id", "recordid", "contactid"],
}
_OPPORTUNITY_ALIASES = {
    "name": ["name", "opportunityname", "dealname", "title", "opportunityid", "dealtitle"],
    "account": ["account", "accountname", "company", "organization", "organizationname"],
    "stage": ["stage", "stagename", "dealstage"],
    "amount": ["amount", "value", "dealvalue", "closevalue"],
    "probability": ["probability"],
    "close_date": ["closedate", "expectedclosedate", "closedat"],
    "type": ["type", "opportunitytype", "dealtype"],
    "lead_source": ["leadsource", "source"],
    "campaign": ["campaign"],
    "next_step": ["nextstep"],
    "description": ["description"],
    "owner": ["owner", "ownerid", "dealowner", "salesagent", "opportunityowner"],
    "lost_reason": ["lostreason"],
    "external_id": ["externalid", "id", "recordid", "dealid", "opportunityid"],
}
ALIASES = {
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
}
# Picklists: the field's values, and the words other CRMs use for them.
PICKLISTS: dict[str, dict[str, str]] = {
    "source": {
        **{c.value: c.value for c in LeadSource},
        **{c.label.casefold(): c.value for c in LeadSource},
        "website": "web",
        "web form": "web",
        "organic search": "web",
        "direct traffic": "web",
        "online": "web",
        "webinar": "event",
        "trade show": "event",
        "seminar": "event",
        "conference": "event",
        "partner referral": "referral",
        "employee referral": "referral",
        "word of mouth": "referral",
        "external referral": "referral",
        "cold calling": "cold_call",
        "phone inquiry": "cold_call",
        "paid search": "advertisement",
        "paid social": "advertisement",
        "social media": "advertisement",
        "email marketing": "email_campaign",
        "email": "email_campaign",
        "purchased list": "other",
        "offline sources": "other",
    },
    "rating": {
        **{c.value: c.value for c in Rating},
        **{c.label.casefold(): c.value for c in Rating},
    },
}
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
    """The resolved mapping a job runs with."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

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
        columns = {h: f for h, f in columns.items() if f}
        return cls(
            columns=columns,
            values={
                f: {str(k).casefold(): v for k, v in m.items()}
                for f, m in (given.get("values") or {}).items()
            },
            defaults=dict(given.get("defaults") or {}),
            options=dict(given.get("options") or {}),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "values": self.values,
            "defaults": self.defaults,
            "options": self.options,
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

    def translate(self, name: str, raw: str) -> str:
        """The stored value of one cell: placeholders blank, picklist words translated."""
        value = raw.strip()
        folded = value.casefold()
        if folded in BLANK_VALUES:
            return ""
        own = self.values.get(name)
        if own and folded in own:
            return str(own[folded])
        picklist = PICKLISTS.get(name)
        if picklist is not None:
            return picklist.get(folded, picklist.get(folded.replace(" ", "_"), value))
        return value
