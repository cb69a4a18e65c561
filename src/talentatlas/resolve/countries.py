"""Country evidence: country names, e-mail/web domains and the name -> domain -> country
table in ``affiliations/lossfunk_affiliation_domain_country.csv`` (when present)."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import pycountry

from talentatlas.resolve.names import normalise_name

#: Spellings seen in the sources that pycountry does not resolve by itself.
ALIASES = {
    "usa": "US", "us": "US", "u s a": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "u k": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "great britain": "GB", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "korea south": "KR", "north korea": "KP", "russia": "RU",
    "iran": "IR", "vietnam": "VN", "viet nam": "VN", "turkey": "TR", "turkiye": "TR",
    "taiwan": "TW", "taiwan roc": "TW", "roc": "TW", "hong kong": "HK", "hong kong sar": "HK",
    "hong kong sar china": "HK", "hongkong": "HK", "macau": "MO", "macao": "MO",
    "pr china": "CN", "p r china": "CN", "prc": "CN", "peoples republic of china": "CN",
    "mainland china": "CN", "czech republic": "CZ", "czechia": "CZ", "the netherlands": "NL",
    "holland": "NL", "state of palestine": "PS", "palestine": "PS",
    "kingdom of saudi arabia": "SA", "ksa": "SA", "uae": "AE", "u a e": "AE",
    "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "syria": "SY", "laos": "LA",
    "moldova": "MD", "brunei": "BN", "cote divoire": "CI", "ivory coast": "CI",
}  # fmt: skip

#: Territories that some sources file under China (CN): a string naming one of these
#: places is located there (ISO 3166: Taiwan TW, Hong Kong HK, Macao MO).
TERRITORIES = {
    "TW": re.compile(r"\btaiwan\b|\btaipei\b|\bhsinchu\b|\btaichung\b|\btainan\b|\btaoyuan\b"),
    "HK": re.compile(r"\bhong ?kong\b|\bkowloon\b"),
    "MO": re.compile(r"\bmaca[ou]\b"),
}
#: mainland cities that campuses of Hong Kong universities are named after ("The
#: Chinese University of Hong Kong, Shenzhen", "HKUST (Guangzhou)"): located in China
MAINLAND_CAMPUS = re.compile(
    r"\b(shenzhen|guangzhou|dongguan|foshan|zhuhai|beijing|shanghai|hangzhou|nanjing|"
    r"suzhou|wuhan|chengdu|xian|hefei|tianjin|qingdao|xiamen|fuzhou)\b"
)
#: the country a source may write for these territories
TERRITORY_PARENT = {"TW": "CN", "HK": "CN", "MO": "CN"}

#: free e-mail providers: their domain says nothing about a person's organisation,
#: country or sector (``gmail.com`` is neither in the US nor a company)
WEBMAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "icloud.com", "me.com", "aol.com", "protonmail.com", "proton.me",
    "163.com", "126.com", "qq.com", "foxmail.com", "sina.com", "sohu.com", "aliyun.com",
    "mail.ru", "yandex.ru", "naver.com", "hanmail.net", "daum.net", "gmx.de", "web.de",
    "yeah.net", "outlook.kr", "hotmail.co.uk", "yahoo.co.jp", "yahoo.com.tw", "gmx.net",
})  # fmt: skip

#: Country-code top-level domains used as generic names, not as a country.
GENERIC_CCTLDS = {"io", "ai", "co", "me", "tv", "cc", "ly", "to", "fm", "ws", "gg", "sh", "so"}
US_TLDS = {"edu", "gov", "mil", "us"}
TLD_FIX = {"uk": "GB"}

#: US state and Canadian province abbreviations that end US/CA affiliation strings.
US_STATES = set(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
    ]
)


@lru_cache(maxsize=200_000)
def country_from_name(name: str | None) -> str | None:
    """ISO 3166 alpha-2 code for a country name or code, or None."""
    if not name:
        return None
    key = normalise_name(name)
    if not key or key in {"unknown", "unk", "none", "n a"}:
        return None
    if key in ALIASES:
        return ALIASES[key]
    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        pass
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return None


_TRAILING = re.compile(r"[,;(]\s*([^,;()]+?)\s*\)?\s*$")


def country_from_text(raw: str | None) -> str | None:
    """Country named at the end of an affiliation string (``..., Shenzhen, China``)."""
    if not raw:
        return None
    m = _TRAILING.search(raw)
    if not m:
        return None
    tail = m.group(1).strip().rstrip(".")
    if tail.upper() in US_STATES and len(tail) == 2:
        return "US"
    return country_from_name(tail)


_TERRITORY_HINT = re.compile(
    r"taiwan|taipei|hsinchu|taichung|tainan|taoyuan|hong|kowloon|maca", re.I
)


@lru_cache(maxsize=200_000)
def territory_named(raw: str | None) -> str | None:
    """TW, HK or MO when the string names a place there anywhere (``National Taiwan
    University``, ``Kowloon``) and no mainland city (a Hong Kong university's campus in
    Shenzhen is in China), else None."""
    if not raw or not _TERRITORY_HINT.search(raw):  # (most strings: no normalising)
        return None
    key = normalise_name(raw)
    if MAINLAND_CAMPUS.search(key):
        return None
    for code, pattern in TERRITORIES.items():
        if pattern.search(key):
            return code
    return None


def mainland_campus(raw: str | None, domain: str | None) -> bool:
    """The affiliation is on the mainland although its institution may be registered in
    Hong Kong or Macao: the string names a mainland city, or the e-mail domain is
    Chinese (``cuhk.edu.cn`` is CUHK-Shenzhen's; the Hong Kong campus uses ``.hk``)."""
    if raw and MAINLAND_CAMPUS.search(normalise_name(raw)):
        return True
    return bool(domain) and domain.lower().rstrip(".").endswith(".cn")  # type: ignore[union-attr]


def is_webmail(domain: str | None) -> bool:
    return bool(domain) and registered_domain(domain) in WEBMAIL  # type: ignore[arg-type]


def country_from_tld(domain: str | None) -> str | None:
    if not domain:
        return None
    tld = domain.rsplit(".", 1)[-1].lower()
    if tld in US_TLDS:
        return "US"
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return None
    if tld in TLD_FIX:
        return TLD_FIX[tld]
    c = pycountry.countries.get(alpha_2=tld.upper())
    return c.alpha_2 if c else None


def registered_domain(domain: str) -> str:
    """``cs.stanford.edu`` -> ``stanford.edu``; ``mails.tsinghua.edu.cn`` -> ``tsinghua.edu.cn``."""
    parts = domain.lower().split(".")
    if len(parts) >= 3 and parts[-2] in {"edu", "ac", "co", "com", "org", "gov", "net", "or"}:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


class DomainTable:
    """Name and domain -> country, from the affiliation/domain/country CSV."""

    def __init__(self, path: Path | None) -> None:
        self.by_domain: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        self.name_by_domain: dict[str, str] = {}
        if path is None or not path.exists():
            return
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                code = (row.get("Affiliation Country") or "").strip().upper()
                code = "GB" if code == "UK" else code
                if len(code) != 2 or not pycountry.countries.get(alpha_2=code):
                    continue
                dom = (row.get("Affiliation Domain") or "").strip().lower()
                name = (row.get("Affiliation Name") or "").strip()
                if dom.rsplit(".", 1)[-1] in GENERIC_CCTLDS and code.lower() == dom[-2:]:
                    continue  # a generic domain read as a country (graphcore.ai -> Anguilla)
                if dom and not dom.startswith("unknown"):
                    self.by_domain.setdefault(dom, code)
                    self.by_domain.setdefault(registered_domain(dom), code)
                    if name:
                        self.name_by_domain.setdefault(registered_domain(dom), name)
                if name:
                    self.by_name.setdefault(normalise_name(name), code)

    def country_of_domain(self, domain: str | None) -> str | None:
        if not domain:
            return None
        d = domain.lower()
        return self.by_domain.get(d) or self.by_domain.get(registered_domain(d))

    def country_of_name(self, name: str | None) -> str | None:
        return self.by_name.get(normalise_name(name)) if name else None
