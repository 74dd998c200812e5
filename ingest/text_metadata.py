"""Metadata read from a document's own text: its kind, 令号, dates (通过, 批准, 公布, 施行), the body that
adopted it and the 落款 (signature and date) closing a 意见/通知. Patterns live in document_rules.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("document_rules.toml")
OTHER_KIND = "其他"
_DATE = re.compile(r"(?P<y>\d{4})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*日?")
# A date alone on its line, as under a signature: "2023年3月2日", "2023年3月2日印发".
SIGNATURE_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(?:印发|发布)?$")
MAX_SIGNATURE_LINE = 40  # an issuer line under a text is short ("中共重庆市委 重庆市人民政府")


def iso_date(text: str) -> str:
    """The first date in `text` as yyyy-mm-dd, or ''."""
    match = _DATE.search(text)
    if not match:
        return ""
    return f"{int(match['y']):04d}-{int(match['m']):02d}-{int(match['d']):02d}"


@dataclass(frozen=True)
class DocumentRules:
    """Compiled patterns of document_rules.toml."""

    kinds: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    dates: dict[str, tuple[re.Pattern[str], ...]]
    order: re.Pattern[str]
    order_line: re.Pattern[str]
    term: re.Pattern[str]


@lru_cache(maxsize=1)
def rules() -> DocumentRules:
    with open(RULES_FILE, "rb") as handle:
        data = tomllib.load(handle)
    endings = data["kinds"]["endings"]
    kinds = tuple(
        (kind, tuple(re.compile(p) for p in endings.get(kind, [f"{kind}$"])))
        for kind in data["kinds"]["order"]
        if kind != OTHER_KIND
    )
    return DocumentRules(
        kinds=kinds,
        dates={name: tuple(re.compile(p, re.M) for p in patterns) for name, patterns in data["dates"].items()},
        order=re.compile(data["numbers"]["order"]),
        order_line=re.compile(data["numbers"]["order_line"]),
        term=re.compile(data["issuers"]["term"]),
    )


def document_kind(title: str) -> str:
    """条例, 办法, 方案 … from the title's ending; 其他 when none fits."""
    title = title.strip()
    for kind, patterns in rules().kinds:
        if any(p.search(title) for p in patterns):
            return kind
    return OTHER_KIND


def order_number(lines: list[str]) -> str:
    """The number of a promulgation order or announcement, as written: "中华人民共和国国务院令第732号",
    "…常务委员会公告第62号"; '' when none. An order's name and its "第732号" line are read together."""
    match = rules().order.search("\n".join(lines))
    return f"{match['org']}第{match['n']}号" if match else ""


def order_issuer(number: str) -> str:
    """Who issued an order: "中华人民共和国国家安全部令第2号" → "国家安全部"; a 公告's body without its term."""
    match = rules().order.search(number)
    if not match:
        return ""
    org = re.sub(r"^中华人民共和国(?=.)", "", match["org"])  # the state's name prefixes every national order
    return rules().term.sub("", re.sub(r"(?:令|公告)$", "", org))


def is_order_number_line(line: str) -> bool:
    """A line that is only an order's number: "第732号", "国务院令第732号"."""
    return bool(rules().order_line.match(line.strip()))


@dataclass(frozen=True)
class TextDates:
    adopted: str = ""
    approved: str = ""
    published: str = ""
    effective: str = ""
    adopted_by: str = ""  # the body whose meeting adopted it, without its term
    on_publication: bool = False  # "自公布之日起施行": effective the day it is published


def _first(name: str, text: str) -> re.Match[str] | None:
    found = [m for p in rules().dates[name] if (m := p.search(text))]
    return min(found, key=lambda m: m.start()) if found else None


def text_dates(text: str) -> TextDates:
    """Dates the text states: the first 通过 and 批准, 公布, and 施行 (公布 when it takes effect on publication)."""
    adopted = _first("adopted", text)
    approved = _first("approved", text)
    published = _first("published", text)
    effective = _first("effective", text)
    published_iso = iso_date(published["date"]) if published else ""
    effective_iso = iso_date(effective["date"]) if effective else ""
    on_publication = not effective_iso and _first("effective_on_publication", text) is not None
    org = rules().term.sub("", adopted["org"]).strip() if adopted else ""
    org = re.sub(r"^(?:已经|经|由)", "", org)  # "经人力资源和社会保障部第1次部务会议通过"
    return TextDates(
        adopted=iso_date(adopted["date"]) if adopted else "",
        approved=iso_date(approved["date"]) if approved else "",
        published=published_iso,
        effective=effective_iso,
        adopted_by=org,
        on_publication=on_publication,
    )


@dataclass(frozen=True)
class Signature:
    issuer: str = ""
    date: str = ""


def closing_signature(lines: list[str]) -> Signature:
    """The 落款 of a text: the first date line whose line above is a short issuer line.

    "…抓好贯彻落实。" / "中共重庆市委 重庆市人民政府" / "2023年5月6日" → both read. The first, because
    an annex (tables, lists) follows the 落款 of its text, and a list of 附件 may sit above it.
    """
    for index in range(1, len(lines)):
        if SIGNATURE_DATE.match(lines[index]):
            above = lines[index - 1]
            if not (
                "。" in above
                or above.endswith((":", "："))
                or len(above) > MAX_SIGNATURE_LINE
                or above.startswith("附件")
            ):
                return Signature(above, iso_date(lines[index]))
    return Signature()
