"""Sector evidence from an institution's name and e-mail domain (first-pass rules).

Sectors: academia, industry, government, nonprofit, other. Public research institutes
(CNRS, Max Planck, the Chinese Academy of Sciences) count as academia. Known AI
companies are recognised by name even when the name carries no company word.
"""

from __future__ import annotations

import re

ACADEMIA = re.compile(
    r"univ|college|school|polytechn|politecnic|hochschule|ecole|école|escuela|academ|"
    r"institut|\beth\b|epfl|kaist|postech|unist|dgist|inria|cnrs|max planck|mpi\b|riken|"
    r"fraunhofer|csic|kaust|mbzuai|tsinghua|iit\b|iisc|faculty|department of|dept\b|"
    r"laborat|centre national|research center|research centre|hospital|medical center",
    re.I,
)
INDUSTRY = re.compile(
    r"\b(inc|ltd|llc|corp|corporation|gmbh|co\.|company|limited|s\.?a\.?s|ag|plc|"
    r"technolog(y|ies)|labs?)\b",
    re.I,
)
COMPANIES = re.compile(
    r"\b(google|deepmind|microsoft|meta|facebook|amazon|aws|apple|nvidia|ibm|intel|"
    r"openai|anthropic|adobe|baidu|alibaba|tencent|huawei|bytedance|tiktok|samsung|naver|"
    r"kakao|lg|sk telecom|sony|qualcomm|salesforce|uber|netflix|twitter|linkedin|snap|"
    r"yahoo|bosch|siemens|toyota|honda|nec|fujitsu|hitachi|preferred networks|sensetime|"
    r"megvii|iflytek|jd\.com|jd|meituan|didi|kuaishou|xiaomi|oppo|vivo|netease|ant group|"
    r"ping an|cohere|mistral|hugging ?face|element ai|borealis|mila\b.*\binc|waymo|"
    r"tesla|cruise|zoox|mobileye|nuro|x development|shanghai ai lab|noah'?s ark|"
    r"criteo|spotify|pinterest|airbnb|bloomberg|jpmorgan|j\.p\. morgan|goldman|"
    r"two sigma|d\. e\. shaw|citadel|morgan stanley|ericsson|nokia|thales|naver labs|"
    r"line corp|rakuten|yandex|sber|kuaishou|zhipu|moonshot|minimax|01\.ai)\b",
    re.I,
)
GOVERNMENT = re.compile(
    r"national laborator|\bministry\b|government|\bnasa\b|\bnist\b|\barmy\b|\bnavy\b|"
    r"air force|los alamos|lawrence livermore|oak ridge|sandia|argonne|\bdarpa\b|"
    r"national institutes? of health|\bnih\b",
    re.I,
)
NONPROFIT = re.compile(r"foundation|allen institute|\bai2\b|vector institute|mila\b", re.I)


def sector_of(name: str | None, domain: str | None) -> tuple[str | None, str | None]:
    """(sector, evidence) for an institution name and e-mail domain."""
    n = name or ""
    d = (domain or "").lower()
    if n:
        if COMPANIES.search(n):
            return "industry", "name:company"
        if GOVERNMENT.search(n):
            return "government", "name:government"
        if NONPROFIT.search(n):
            return "nonprofit", "name:nonprofit"
        if ACADEMIA.search(n):
            return "academia", "name:academic"
        if INDUSTRY.search(n):
            return "industry", "name:company-word"
    if d:
        labels = d.split(".")
        if labels[-1] == "edu" or "edu" in labels[-3:-1] or "ac" in labels[-3:-1]:
            return "academia", "domain:academic"
        if labels[-1] == "gov" or "gov" in labels[-3:-1]:
            return "government", "domain:government"
        if labels[-1] in {"com", "ai", "io"} or "co" in labels[-3:-1] or "com" in labels[-3:-1]:
            return "industry", "domain:commercial"
    return None, None
