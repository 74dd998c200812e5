"""Follow-up questions in a conversation, written out in full before they are answered.

"那它的人口目标呢？" after a question answered from a plan asks about that plan: it is answered as
"《…方案》的人口目标是什么？". "第二条呢？" asks for that clause of the same document; "自贡呢？" and
"2030年呢？" ask the previous question again of another place or year. A question that names its own
document, or that neither points back nor leaves its subject out, stands on its own.

The person sees what the question was taken to mean ("理解为：…"), so a wrong reading is visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.query.clauses import parse_clause_query
from rag.query.names import is_place, name_rules
from rag.query.reader import QUESTION_WORD, QuestionReader
from rag.records import Answer
from rag.search.keyword import pos_tags

TOPIC_FLAGS = ("n", "vn", "eng")  # nouns, verbal nouns (建设), Latin words (GDP): what a question asks about

_LEAD = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问)[，,]?")
_TAIL = re.compile(r"[呢吗？?。！!\s]+$")
_YEAR = re.compile(r"^(?:到|在)?((?:19|20)\d{2})年?$")
_PREVIOUS_YEAR = re.compile(r"(?:19|20)\d{2}年?")


@dataclass(frozen=True)
class Turn:
    """What a follow-up needs of an earlier exchange: the question as it was understood, and the
    documents its answer rests on (first the one cited first)."""

    question: str
    doc_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        cited = (c.article.doc_id for c in answer.citations if not c.related_only)
        return cls(answer.understood_as or answer.question, tuple(dict.fromkeys(cited)))


@dataclass(frozen=True)
class FollowUp:
    """A follow-up written out: the question to answer and the document it is asked of."""

    text: str
    doc_ids: tuple[str, ...] = ()
    asked: str = ""  # the question as it was asked


def read_follow_up(text: str, previous: Turn | None, reader: QuestionReader, max_chars: int) -> FollowUp | None:
    """`text` written out with what `previous` asked and cited, or None when it stands on its own.
    `max_chars`: an ellipsis ("自贡呢？") is at most this long; longer questions are read as asked."""
    if previous is None:
        return None
    written = _written_out(text, previous, reader, max_chars)
    return replace(written, asked=text) if written else None


def _written_out(text: str, previous: Turn, reader: QuestionReader, max_chars: int) -> FollowUp | None:
    parsed = reader.read(text)
    if parsed.doc_ids:
        return None  # it names its own document
    rest = _TAIL.sub("", _LEAD.sub("", text.strip()))
    elliptic = "呢" in text.strip()[-3:] and len(rest) <= max_chars
    title = reader.names.title(previous.doc_ids[0]) if previous.doc_ids else ""
    if elliptic and not QUESTION_WORD.search(rest):
        if parse_clause_query(rest) is not None and title:
            return FollowUp(f"《{title}》{rest}讲了什么？", previous.doc_ids[:1])
        if year := _YEAR.match(rest):
            return _again(previous, _PREVIOUS_YEAR, year.group(1) + "年")
        if is_place(rest):
            places = [word for word, _ in pos_tags(reader.names.strip_names(previous.question)) if is_place(word)]
            if len(places) <= 1:
                return _again(previous, re.compile(re.escape(places[0])) if places else None, rest)
        if not parsed.refers_back and (topic := _topic(previous.question, reader)):
            return _again(previous, re.compile(re.escape(topic)), rest)  # "人口呢？" after "…GDP目标是多少"
    if not (parsed.refers_back or elliptic) or not title:
        return None
    subject = _with_title(rest, title, reader)
    question = subject if QUESTION_WORD.search(subject) else f"{subject}是什么？"
    return FollowUp(_ended(question), previous.doc_ids[:1])


def _again(previous: Turn, old: re.Pattern[str] | None, new: str) -> FollowUp:
    """The previous question asked again of another place or year: `old` (the place or year it was
    asked of) replaced by `new`, or `new` put in front. No document filter: the new subject chooses."""
    question = previous.question
    if old is not None and old.search(question):
        return FollowUp(_ended(old.sub(new, question, count=1)))
    return FollowUp(_ended(f"{new}{question}"))


def _topic(question: str, reader: QuestionReader) -> str | None:
    """What the previous question asked about: its longest run of nouns that are not places, not
    documents' names, not words of the asking ("GDP目标" in "内江的GDP目标是多少")."""
    asking = reader.intents.asking
    runs: list[str] = [""]
    for word, flag in pos_tags(reader.names.strip_names(question)):
        if flag.startswith(TOPIC_FLAGS) and not is_place(word) and word not in asking:
            runs[-1] += word
        elif runs[-1]:
            runs.append("")
    topic = max(runs, key=len)
    return topic if len(topic) >= 2 and topic in question else None


def _with_title(text: str, title: str, reader: QuestionReader) -> str:
    """`text` with its pointer ("它", "这个方案", "该条例") replaced by the document's title; a text
    with no pointer gets the title in front ("人口目标" → "《…》的人口目标")."""
    kinds = "|".join(map(re.escape, name_rules().kinds))
    pointers = "|".join(map(re.escape, sorted(reader.intents.refers_back, key=len, reverse=True)))
    named, count = re.subn(rf"(?:{pointers})(?:份|个|部|项)?(?:{kinds}|文件)?", f"《{title}》", text, count=1)
    return named if count else f"《{title}》的{text}"


def _ended(question: str) -> str:
    return question if question.endswith(("？", "?")) else question + "？"
