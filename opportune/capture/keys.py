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
from opportune.schemas import country_code

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
_NANP_REGIONS = {"US", "CA"}
# Digits with the usual separators only, at most one leading '+': no letters, no extension.
_PLAIN_NANP = re.compile(r"^\+?[\d\s().-]{10,20}$")
_NON_DIGIT = re.compile(r"\D")
_NON_WORD = re.compile(r"[^\w]+")


def default_region() -> str:
    return settings.OPPORTUNE_PHONE_REGION


def email_key(email: str) -> str:
    return email.strip().casefold()


@lru_cache(maxsize=512)
def region_for(country: str) -> str:
    country = country.strip()
    if len(country) == 2 and country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return country.upper()
    if country.casefold() in _COUNTRY_REGIONS:
        return _COUNTRY_REGIONS[country.casefold()]
    code = country_code(country) if country else None  # any name pycountry knows
    return code if code in phonenumbers.SUPPORTED_REGIONS else default_region()


def phone_key(phone: str, country: str = "") -> str:
    """E.164 form ('+14155550123'), or '' when the text is not a possible phone number."""
    phone = phone.strip()
    if not phone:
        return ""
    if _E164.match(phone):
        return phone  # already E.164 (as most CRM exports write it): nothing to parse
    region = region_for(country)
    international = phone.startswith("+1")  # a North American number, wherever written
    if (international or region in _NANP_REGIONS) and _PLAIN_NANP.match(phone):
        # '(415) 555-0123', '1-415-555-0123', '+1 415 555 0123': the common case, decided
        # by digit count alone (tests check it against phonenumbers on many spellings).
        digits = _NON_DIGIT.sub("", phone)
        if len(digits) == 10 and digits[0] in "23456789" and not phone.startswith("+"):
            return "+1" + digits
        if len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789":
            return "+" + digits
    return library_phone_key(phone, region)


def library_phone_key(phone: str, region: str) -> str:
    """E.164 by the phonenumbers library, '' for what is not a possible number."""
    try:
        number = phonenumbers.parse(phone, region)
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
