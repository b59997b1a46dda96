"""Match keys: the normalized forms of email, phone, name and company that duplicate checks
compare. Each is stored in an indexed column on the lead, so a check is a lookup, not a scan.

Pure functions with no database access: the importer calls them on every row.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.conf import settings

from opportune.accounts.models import normalize_company

# Country names the default data sets use, mapped to the region phone parsing needs.
_COUNTRY_REGIONS = {
    "united states": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "india": "IN",
    "canada": "CA",
    "australia": "AU",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "brazil": "BR",
    "mexico": "MX",
    "japan": "JP",
    "china": "CN",
    "singapore": "SG",
    "united arab emirates": "AE",
    "ireland": "IE",
}
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_NON_WORD = re.compile(r"[^\w]+")


def default_region() -> str:
    return str(getattr(settings, "OPPORTUNE_PHONE_REGION", "US")).upper()


def email_key(email: str) -> str:
    return email.strip().casefold()


@lru_cache(maxsize=512)
def region_for(country: str) -> str:
    country = country.strip()
    if len(country) == 2 and country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return country.upper()
    return _COUNTRY_REGIONS.get(country.casefold(), default_region())


def phone_key(phone: str, country: str = "") -> str:
    """E.164 form ('+14155550123'), or '' when the text is not a possible phone number."""
    phone = phone.strip()
    if not phone:
        return ""
    if _E164.match(phone):
        return phone  # already E.164 (as most CRM exports write it): nothing to parse
    try:
        number = phonenumbers.parse(phone, region_for(country))
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """Casefolded, accents removed, punctuation as single spaces: 'José-Luis' -> 'jose luis'."""
    plain = text.casefold()
    if not plain.isascii():
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain).replace("_", " ").split())


def name_key(first_name: str, last_name: str) -> str:
    """Order-free: 'Smith, John' and 'John Smith' share the key 'john smith'."""
    return " ".join(sorted(fold(f"{first_name} {last_name}").split()))[:170]


def company_key(company: str) -> str:
    return fold(normalize_company(company))[:255]
