"""Document metadata: title, kind, issuer, document or order number, dates.

Sources, most trusted first: the page's metadata table (发文字号:…, 成文日期 …), then the issuing
notice or promulgation order (its header "X关于印发…的通知", its number line, its signature and date),
then the document's own text (its 通过/批准/公布/施行 lines, its 落款), then its title
("中共内江市委关于…的决定——(2020年7月30日…通过)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text_metadata import (
    SIGNATURE_DATE,
    closing_signature,
    document_kind,
    is_order_number_line,
    iso_date,
    order_issuer,
    order_number,
    text_dates,
)

__all__ = [
    "Metadata",
    "iso_date",
    "is_doc_number_line",
    "is_order_number_line",
    "normalise_doc_number",
    "read_metadata",
]

# Names of a page's metadata table; their characters may be spaced out to align a column ("标　　题").
_FIELD_NAMES = "|".join(
    r"\s?".join(name)
    for name in ("发布时间", "发布日期", "成文日期", "发文字号", "发文机关", "发布机构", "发布单位", "标题")
)
_FIELD_STOP = _FIELD_NAMES + r"|录入|有\s?效\s?性|主题分类|索引号|公文种类|【"
_FIELD = re.compile(rf"(?P<name>{_FIELD_NAMES})\s*[:：]?\s*(?P<value>.*?)\s*(?=(?:{_FIELD_STOP})|$)")
_DOC_NUMBER = re.compile(
    r"(?P<org>[\u4e00-\u9fff]{1,12})\s*[〔\[［【(（]\s*(?P<year>\d{4})\s*[〕\]］】)）]\s*(?P<n>\d{1,4})\s*号"
)
DATE_LINE = SIGNATURE_DATE
_ISSUER_IN_TITLE = re.compile(r"^(?P<org>.+?)(?:关于)?(?:印发|转发)")
_ISSUER_OF_DECISION = re.compile(r"^(?P<org>.{2,40}?)关于")
_PUBLISHED_HINT = re.compile(r"发布|阅读|来源")


@dataclass(frozen=True)
class Metadata:
    title: str = ""
    doc_number: str = ""
    issuer: str = ""
    date_written: str = ""
    date_published: str = ""
    kind: str = ""
    date_adopted: str = ""
    date_approved: str = ""
    date_effective: str = ""


def normalise_doc_number(text: str) -> str:
    """`川府发〔 2023 〕9 号` → `川府发〔2023〕9号`; '' when `text` holds no document number."""
    match = _DOC_NUMBER.search(text)
    return f"{match['org']}〔{match['year']}〕{match['n']}号" if match else ""


def is_doc_number_line(line: str) -> bool:
    """A line that is nothing but a document number (the notice's 文号 line)."""
    match = _DOC_NUMBER.fullmatch(line.strip())
    return match is not None


def page_fields(lines: list[str]) -> dict[str, str]:
    """Non-empty `name: value` fields of the page's metadata table (first occurrence wins)."""
    fields: dict[str, str] = {}
    for line in lines:
        for match in _FIELD.finditer(line):
            value = match["value"].strip(" :：")
            name = re.sub(r"\s", "", match["name"])
            if value and name not in fields:
                fields[name] = value
    return fields


def read_metadata(
    head_lines: list[str],
    notice_lines: list[str],
    title: str,
    title_note: str,
    text_lines: list[str] | None = None,
) -> Metadata:
    """Combine the page table, the notice and the title into the document's metadata.

    `head_lines`: every line before the plan body (chrome included), `notice_lines`: the issuing
    notice as kept, `title`: the plan's title line without its note, `title_note`: the note in
    brackets after the title (e.g. the adoption date of a decision), or ''; `text_lines`: the
    document's other kept lines (title notes, preamble, body).
    """
    text_lines = text_lines or []
    fields = page_fields(head_lines)
    header = _notice_header(notice_lines)
    stated = text_dates("\n".join([title_note, *notice_lines, *text_lines]))
    signed = closing_signature(text_lines)

    doc_number = normalise_doc_number(fields.get("发文字号", ""))
    if not doc_number:
        doc_number = next((normalise_doc_number(line) for line in notice_lines if is_doc_number_line(line)), "")
    if not doc_number:
        doc_number = next((normalise_doc_number(line) for line in head_lines if is_doc_number_line(line)), "")
    if not doc_number:  # "中华人民共和国国务院令" / "第732号" above a regulation, or in its title notes
        doc_number = (
            order_number(notice_lines)
            or order_number(head_lines[-_ORDER_WINDOW:])
            or order_number([title_note, *text_lines[:_ORDER_WINDOW]])
        )

    issuer = fields.get("发文机关") or fields.get("发布机构") or fields.get("发布单位") or ""
    if not issuer and header and (match := _ISSUER_IN_TITLE.match(header)):
        issuer = match["org"]
    if not issuer and (match := _ISSUER_OF_DECISION.match(title)):
        issuer = match["org"]  # "中共内江市委关于…的决定": the title names its issuer
    if not issuer:
        issuer = stated.adopted_by  # the 制定机关 of a law, from its 通过 line
    if not issuer:
        issuer = order_issuer(doc_number)  # "国家市场监督管理总局令第56号"
    if not issuer:
        issuer = _signature(notice_lines)
    if not issuer:
        issuer = signed.issuer  # the 落款 of a 意见/通知

    date_written = iso_date(fields.get("成文日期", ""))
    if not date_written:
        date_written = next((iso_date(line) for line in reversed(notice_lines) if DATE_LINE.match(line)), "")
    if not date_written:
        date_written = signed.date
    if not date_written:
        date_written = iso_date(title_note)

    stated_published = stated.published  # a 公布 the text states, or the date of the order that publishes it
    if not stated_published and order_number(notice_lines) and re.search("公布|发布", "".join(notice_lines)):
        stated_published = next((iso_date(line) for line in reversed(notice_lines) if DATE_LINE.match(line)), "")
    date_published = stated_published or iso_date(fields.get("发布时间", "") or fields.get("发布日期", ""))
    if not date_published:
        date_published = next(
            (iso_date(line) for line in head_lines if _PUBLISHED_HINT.search(line) and iso_date(line)), ""
        )

    if not title and (page_title := fields.get("标题", "")):
        title = plan_in_notice_title(page_title)
    # "自公布之日起施行": the publication date the text states; a web page's date is no legal fact.
    effective = stated.effective or (stated_published if stated.on_publication else "")
    return Metadata(
        title,
        doc_number,
        issuer.strip(),
        date_written,
        date_published,
        kind=document_kind(title) if title else "",
        date_adopted=stated.adopted,
        date_approved=stated.approved,
        date_effective=effective,
    )


_ORDER_WINDOW = 6  # an order's name and number sit just above the text


def _notice_header(notice_lines: list[str]) -> str:
    """The notice's title lines joined ("…领导小组" + "关于印发《…》的通知"), or ''."""
    parts: list[str] = []
    for line in notice_lines:
        if is_doc_number_line(line):
            continue
        if line.endswith((":", "：")) or "。" in line:
            break
        parts.append(line)
    header = "".join(parts)
    return header if "印发" in header or "转发" in header else ""


def _signature(notice_lines: list[str]) -> str:
    """The issuer signing the notice: the line just above its closing date."""
    for index in range(len(notice_lines) - 1, 0, -1):
        if DATE_LINE.match(notice_lines[index]):
            above = notice_lines[index - 1]
            return "" if "。" in above or above.endswith((":", "：")) else above
    return ""


def plan_in_notice_title(notice_title: str) -> str:
    """`…关于印发《X》的通知` or `…印发X的通知` → X."""
    match = re.search(r"《(.+?)》", notice_title) or re.search(r"印发(.+?)的通知", notice_title)
    return match.group(1) if match else notice_title
