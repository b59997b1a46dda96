"""Made-up companies and the people who work there, with addresses that fit together."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from opportune.accounts.models import normalize_company
from opportune.schemas import normalize_country

from .vocabulary import (
    COMPANY_PREFIXES,
    COMPANY_STEMS,
    INDUSTRY_BY_KIND,
    LEGAL_SUFFIXES,
    PLACES,
    STREETS,
)

# Employee bands and their weights: most prospects are small, a few are large enterprises.
SIZE_BANDS = ((5, 50, 35), (50, 250, 30), (250, 1000, 20), (1000, 20000, 15))
ENTERPRISE_EMPLOYEES = 1000


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    industry: str
    employees: int
    annual_revenue: Decimal
    phone: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: str  # "east" or "west": which regional team covers it

    @property
    def website(self) -> str:
        return f"https://www.{self.domain}"

    @property
    def is_enterprise(self) -> bool:
        return self.employees >= ENTERPRISE_EMPLOYEES

    def phone_number(self, rng: random.Random) -> str:
        return f"{self.phone} {rng.randint(1000, 9999)}"

    def email(self, first_name: str, last_name: str) -> str:
        return f"{first_name}.{last_name}@{self.domain}".lower().replace(" ", "")


def _postal_code(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randint(0, 9)) if c == "#" else rng.choice("ABCEHKLMNPRSTVX") if c == "A" else c
        for c in pattern
    )


def _company(rng: random.Random) -> Company:
    prefix, stem = rng.choice(COMPANY_PREFIXES), rng.choice(COMPANY_STEMS)
    kind = rng.choice(list(INDUSTRY_BY_KIND))
    name = " ".join(part for part in (prefix, stem, kind, rng.choice(LEGAL_SUFFIXES)) if part)
    low, high, _ = rng.choices(SIZE_BANDS, weights=[band[2] for band in SIZE_BANDS])[0]
    employees = rng.randint(low, high)
    city, state, country, phone_prefix, postal_pattern, region = rng.choice(PLACES)
    return Company(
        name=name,
        domain="".join(part for part in (prefix, stem, kind) if part).lower() + ".example",
        industry=INDUSTRY_BY_KIND[kind],
        employees=employees,
        annual_revenue=Decimal(employees * rng.randint(90, 260)) * 1000,
        phone=f"{phone_prefix} {rng.randint(200, 989)}",
        street=f"{rng.randint(1, 480)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        postal_code=_postal_code(rng, postal_pattern),
        country=normalize_country(country),  # stored as codes, as every write path does
        region=region,
    )


def company_catalog(rng: random.Random, count: int) -> list[Company]:
    """``count`` companies whose names differ once normalized (so each is one account)."""
    companies: dict[str, Company] = {}
    while len(companies) < count:
        company = _company(rng)
        companies.setdefault(normalize_company(company.name), company)
    return list(companies.values())
