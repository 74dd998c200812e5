"""Document titles as an answer's text names them: short enough for the first line of a phone, still
the document's own words. The citation card and `citations[].doc_title` keep the full title.

A title of at most `AnswerSettings.short_title_chars` characters is written whole. A longer one is
written without what only says who issued it ("国务院办公厅关于…", "中华人民共和国…") or, for an issuing
notice, as the title it issues ("关于印发《X》的通知" → X); if that is still too long, as its first words,
"…", and the kind of document ("深入贯彻习近平总书记重要讲话精神…的决定"). A question that asks which
document, or about a document's own facts (文号, dates, order), keeps the full title: there the title
is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rag.query.names import name_rules
from rag.query.reader import Question, Want
from rag.search.keyword import jieba_module

ELLIPSIS = "…"
_ISSUER = re.compile(r"^(?:中共)?[^《》关]{2,24}?关于(?!印发)")
_ISSUED = re.compile(r"^(?:.{0,24}?关于)?印发[《“]?(?P<inner>.+?)[》”]?的通知$")
_STATE = "中华人民共和国"


@lru_cache(maxsize=1024)
def short_title(title: str, max_chars: int) -> str:
    """The title as the answer's text writes it (see the module's docstring)."""
    if len(title) <= max_chars:
        return title
    core = title
    if issued := _ISSUED.match(core):
        core = issued["inner"]
    core = _ISSUER.sub("", core).removeprefix(_STATE)
    if len(core) <= max_chars:
        return core
    kind = next((k for k in name_rules().kinds if core.endswith(k)), "")
    tail = ("的" if core[: len(core) - len(kind)].endswith("的") else "") + kind
    room = max_chars - len(tail) - len(ELLIPSIS)
    head = ""
    for word in jieba_module().lcut(core[: len(core) - len(tail)]):
        if len(head) + len(word) > room:
            break
        head += word
    if head.count("“") > head.count("”"):  # never cut inside a quoted name
        head = head[: head.rfind("“")]
    return (head or core[:room]) + ELLIPSIS + tail


def keeps_full_titles(question: Question) -> bool:
    """The question asks which document says something, or about a document's own facts."""
    return Want.LOCATE in question.wants or bool(question.metadata_fields)


def shorten_titles(text: str, titles: Iterable[str], max_chars: int) -> str:
    """`text` with each 《title》 of `titles` written as its short title."""
    for title in sorted(set(titles), key=len, reverse=True):
        short = short_title(title, max_chars)
        if short != title:
            text = text.replace(f"《{title}》", f"《{short}》")
    return text
