"""Words the demo data is made of: people, companies, places, campaigns, reasons, subjects."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aisha Alan Alejandro Amara Anders Anna Arjun Ava Beatriz Ben Bianca Carlos Chen Chloe "
    "Daniel Dara Diego Elena Elif Emeka Emma Erik Fatima Felix Freya Gabriel Grace Hana Hugo "
    "Ines Isaac Ivan Jamal Jana Javier Jin Jonas Julia Kai Kenji Lara Leo Lina Lucas Maya Mei "
    "Mila Mohammed Nadia Naomi Nikhil Noah Nora Omar Oscar Paula Priya Rafael Rosa Ruth Sam "
    "Sara Sofia Tariq Theo Tomas Uma Valentina Victor Wei Yara Yusuf Zoe"
)
LAST_NAMES = _words(
    "Abebe Adeyemi Alvarez Andersen Bauer Becker Bianchi Brown Campbell Chen Costa Dubois "
    "Eriksson Fischer Garcia Gomez Haddad Hansen Hernandez Ibrahim Ito Jansen Kaur Khan Kim "
    "Kowalski Larsen Lee Lopez Martin Meyer Moreau Muller Nakamura Nguyen Novak Okafor Olsen "
    "Patel Pereira Petrov Quinn Rahman Reyes Rossi Sato Schmidt Silva Singh Smith Suzuki "
    "Tanaka Taylor Torres Varga Wagner Walsh Wang Weber Williams Wilson Yamamoto Zhang"
)

COMPANY_PREFIXES = ("", "", "", "", "", "", *_words(
    "North Global United First Pacific Atlantic Prime Metro Nordic Alpine Coastal Central "
    "Royal Modern Western Eastern Civic"
))  # fmt: skip
COMPANY_STEMS = _words(
    "Acme Apex Arcadia Aster Atlas Aurora Beacon Birch Bluewater Bright Cascade Cedar Cobalt "
    "Condor Crescent Delta Ember Evergreen Falcon Fjord Foxglove Granite Harbor Helix Horizon "
    "Indigo Ironwood Juniper Keystone Kite Lakeside Lumen Maple Meridian Monarch Nimbus "
    "Northwind Oakridge Orbit Orchid Pinnacle Polar Quarry Quartz Redwood Riverstone Sable "
    "Sapphire Sequoia Silverline Solstice Summit Tandem Terra Tidewater Trident Umber Vantage "
    "Vertex Willow Zenith"
)
LEGAL_SUFFIXES = ("", "", "", "Inc.", "Ltd", "LLC", "GmbH", "Corp.", "S.A.", "AB", "plc")

# Kind of business in a company's name -> its industry.
_KIND_INDUSTRY = _words(
    "Analytics:Technology Bank:Financial_Services Biotech:Healthcare Brewing:Food_&_Beverage "
    "Capital:Financial_Services Clinics:Healthcare Construction:Construction "
    "Consulting:Professional_Services Dynamics:Manufacturing Energy:Energy "
    "Foods:Food_&_Beverage Freight:Transportation Health:Healthcare Hotels:Hospitality "
    "Insurance:Financial_Services Labs:Healthcare Learning:Education "
    "Logistics:Transportation Manufacturing:Manufacturing Media:Media Metals:Manufacturing "
    "Mobility:Transportation Motors:Automotive Networks:Telecommunications Outfitters:Retail "
    "Pharma:Healthcare Retail:Retail Robotics:Technology Software:Technology "
    "Systems:Technology Telecom:Telecommunications Textiles:Manufacturing Travel:Hospitality "
    "Utilities:Energy Ventures:Financial_Services"
)
INDUSTRY_BY_KIND = {
    pair.split(":")[0]: pair.split(":")[1].replace("_", " ") for pair in _KIND_INDUSTRY
}

# City, state, country, phone prefix, postal code pattern (# a digit, A a letter), region.
PLACES = (
    ("Boston", "MA", "United States", "+1 617", "021##", "east"),
    ("New York", "NY", "United States", "+1 212", "100##", "east"),
    ("Atlanta", "GA", "United States", "+1 404", "303##", "east"),
    ("Toronto", "ON", "Canada", "+1 416", "M5V #A#", "east"),
    ("London", "", "United Kingdom", "+44 20", "EC1A #AA", "east"),
    ("Berlin", "", "Germany", "+49 30", "10###", "east"),
    ("Paris", "", "France", "+33 1", "750##", "east"),
    ("Stockholm", "", "Sweden", "+46 8", "111 ##", "east"),
    ("Chicago", "IL", "United States", "+1 312", "606##", "west"),
    ("Austin", "TX", "United States", "+1 512", "787##", "west"),
    ("Denver", "CO", "United States", "+1 303", "802##", "west"),
    ("San Francisco", "CA", "United States", "+1 415", "941##", "west"),
    ("Seattle", "WA", "United States", "+1 206", "981##", "west"),
    ("Vancouver", "BC", "Canada", "+1 604", "V6B #A#", "west"),
)
STREETS = (
    "Main Street", "Market Street", "Harbor Road", "Station Avenue", "Park Lane", "King Street",
    "Mill Road", "Elm Street", "Commerce Drive", "Innovation Way", "Church Street", "High Street",
)  # fmt: skip

TITLES = (
    "Head of IT", "IT Manager", "Procurement Manager", "Operations Manager", "Sales Director",
    "Marketing Manager", "Office Manager", "Project Manager", "Business Analyst", "Sales Ops Lead",
)  # fmt: skip
DECIDING_TITLES = ("CEO", "CFO", "COO", "CTO", "VP Sales", "VP Operations", "Finance Director")

CAMPAIGNS = {
    "web": ("Website contact form", "Pricing page"),
    "content_download": ("Forecasting playbook (ebook)", "State of Sales report", "ROI calculator"),
    "referral": ("Customer referral programme",),
    "event": ("Sales Ops Summit", "Regional roadshow", "Revenue Leaders Forum"),
    "partner": ("Partner co-selling", "Reseller deal registration"),
    "cold_call": ("Outbound blitz", ""),
    "advertisement": ("Search ads: CRM", "LinkedIn ads: pipeline"),
    "email_campaign": ("Monthly newsletter", "Win-back sequence", "Product launch email"),
    "other": ("",),
}
# Source -> (utm_source, utm_medium) for the channels that arrive through tracked links.
UTM = {
    "web": ("google", "organic"),
    "content_download": ("linkedin", "social"),
    "advertisement": ("google", "cpc"),
    "email_campaign": ("newsletter", "email"),
}

DISQUALIFY_REASONS = (
    "No budget this year",
    "Too small for our offering",
    "Student or job seeker",
    "Works for a competitor",
    "Unresponsive after five attempts",
    "Already signed with a competitor",
    "Duplicate of an existing account",
    "Outside our sales territories",
)
NEEDS = (
    "Replace the spreadsheets used to track the pipeline",
    "Forecast accuracy for the board",
    "Lead routing across three regional teams",
    "Consolidate two CRMs after an acquisition",
    "Visibility on partner-sourced deals",
    "Reduce the time from lead to first call",
    "Quota tracking for a growing sales team",
)
NEXT_STEPS = (
    "Send proposal", "Schedule demo with IT", "Security questionnaire", "Reference call",
    "Pricing review with CFO", "Legal review of contract", "Pilot kickoff", "Follow up after trial",
)  # fmt: skip
PRODUCTS = (
    "CRM rollout", "Sales seats", "Forecasting add-on", "Renewal", "Expansion", "Pilot",
    "Annual licence", "Premium support", "Onboarding services",
)  # fmt: skip

CALL_SUBJECTS = (
    "Discovery call", "Follow-up call", "Left voicemail", "Qualification call",
    "Pricing questions", "Check-in call",
)  # fmt: skip
EMAIL_SUBJECTS = (
    "Intro and resources", "Re: pricing", "Proposal attached", "Meeting recap",
    "Case study you asked for", "Contract redlines",
)  # fmt: skip
MEETING_SUBJECTS = (
    "Product demo", "Onsite workshop", "Executive sponsor meeting", "Technical deep dive",
    "Negotiation meeting", "Quarterly business review",
)  # fmt: skip
TASK_SUBJECTS = (
    "Send follow-up email", "Call back", "Prepare proposal", "Update close plan",
    "Share references", "Book demo", "Confirm budget", "Send contract",
)  # fmt: skip
NOTE_SUBJECTS = (
    "Champion identified", "Budget approved for next quarter", "Competitor in play",
    "Procurement process notes", "Org chart notes",
)  # fmt: skip
