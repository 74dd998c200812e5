"""The records ingest produces: a cleaned `Document` and its `Article` chunks.

`Article.role` is the article's part in its document (notice, preamble, contents, article);
`Document.kind` / `Article.kind` is the document's kind (条例, 方案 …), as DESIGN.md names it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ingest.text import citation_label

_ARTICLE_REF = re.compile(r"第[^条]{1,8}条")


def heading_words(clause_ref: str, section: str) -> str:
    """The words of a heading without the numbering marker that `clause_ref` already says.

    `三、（七）` + `（七）培育…集群` → `培育…集群`; a heading that does not start with the tail of
    the clause path is returned whole.
    """
    for cut in range(len(clause_ref)):
        marker = clause_ref[cut:]
        if section.startswith(marker):
            return section[len(marker) :]
    return section


class ArticleRole(StrEnum):
    """An article's part in its document (stored as its string value)."""

    NOTICE = "notice"  # the 印发通知 / 令 header, or the title notes (通过/批准 lines)
    PREAMBLE = "preamble"  # text before the first numbered unit
    CONTENTS = "contents"  # a table of contents
    ARTICLE = "article"  # a numbered unit (第X条, （一）, 1.) or a paragraph of unstructured text


@dataclass(frozen=True)
class Document:
    """One plan after loading and cleaning, with the metadata read from its page."""

    doc_id: str
    doc_file: str
    title: str
    text: str  # the cleaned text; every Article's start/end points into it
    sha256: str  # of the original file's bytes: unchanged files are not re-ingested
    doc_number: str = ""
    issuer: str = ""
    date_written: str = ""  # 成文日期, ISO yyyy-mm-dd
    date_published: str = ""  # 发布日期 / 公布日期, ISO yyyy-mm-dd
    source_path: str = ""
    kind: str = ""  # the document kind read from its title: 条例, 方案, 通知 … or 其他 (see DOCUMENT_KINDS)
    date_adopted: str = ""  # 通过日期 ("…第二十八次会议通过"), ISO
    date_approved: str = ""  # 批准日期 ("…常务委员会…批准"), ISO
    date_effective: str = ""  # 施行日期 ("本条例自2022年1月1日起施行"), ISO

    @property
    def date(self) -> str:
        """The date a person would give for the document: written, else published."""
        return self.date_written or self.date_published


@dataclass(frozen=True)
class Article:
    """The smallest numbered unit of a plan (or one part of a long one), ready to index."""

    chunk_id: str
    doc_id: str
    doc_file: str
    doc_title: str
    doc_number: str
    issuer: str
    date: str
    chapter: str  # e.g. 三、建设融合共赢的特色产业体系
    section: str  # the article's own heading, e.g. （七）培育具有国际影响力的优势产业集群
    clause_ref: str  # e.g. 三、（七）
    text: str  # exactly Document.text[start:end]
    start: int
    end: int
    tokens: int  # tiktoken cl100k_base
    order: int  # position of the article in its document (parts share it)
    part: int = 1
    parts: int = 1
    removed: tuple[str, ...] = field(default_factory=tuple)  # spam cut out of this text
    role: str = ArticleRole.ARTICLE  # the article's part in its document (`ArticleRole`)
    kind: str = ""  # the document's kind (Document.kind): 条例, 方案 …
    date_written: str = ""  # the document's dates, as on Document (ISO, '' when the text has none)
    date_published: str = ""
    date_adopted: str = ""
    date_approved: str = ""
    date_effective: str = ""

    @classmethod
    def of_document(cls, document: Document, **fields: Any) -> Article:
        """An article of `document`: the document's fields (id, file, title, number, issuer, kind,
        dates) copied in, the article's own given as `fields`."""
        return cls(
            doc_id=document.doc_id,
            doc_file=document.doc_file,
            doc_title=document.title,
            doc_number=document.doc_number,
            issuer=document.issuer,
            date=document.date,
            kind=document.kind,
            date_written=document.date_written,
            date_published=document.date_published,
            date_adopted=document.date_adopted,
            date_approved=document.date_approved,
            date_effective=document.date_effective,
            **fields,
        )

    @property
    def is_regulation_article(self) -> bool:
        """A 第X条 of a law or regulation: its items (（一）…) are its text, its heading is 第X条."""
        return _ARTICLE_REF.search(self.clause_ref) is not None

    @property
    def citation(self) -> str:
        """How a person reads the source: 《title》clause_ref heading."""
        return citation_label(self.doc_title, self.clause_ref, heading_words(self.clause_ref, self.section))

    def metadata(self) -> dict[str, Any]:
        """Flat scalar fields (everything but the text), as stores and LangChain want them."""
        data = asdict(self)
        data.pop("text")
        data["removed"] = "|".join(self.removed)
        return data

    @classmethod
    def from_metadata(cls, text: str, metadata: dict[str, Any]) -> Article:
        """Rebuild an article from `metadata()` and its text."""
        known = {k: metadata[k] for k in cls.__dataclass_fields__ if k in metadata and k != "text"}
        removed = known.get("removed") or ""
        known["removed"] = tuple(removed.split("|")) if removed else ()
        return cls(text=text, **known)
