"""Reading a question: what it asks for (a figure, a date, a list, a place in the text, a comparison,
a document's metadata, a clause), which documents it names, and what its answer must contain.

Before anything else, words the plans never use are mended: a homophone of a plan word is taken
for it ("内疆" → "内江", typed with the wrong character), and everyday words get the plan's term
added ("GDP" → "地区生产总值", `rag/query/synonyms.toml`). Content words still unknown to every plan
are `unknown`: they weigh in the evidence score, so a question about them is hard to answer. The
phrases that signal each intent are data in `rag/query/intents.toml`; the thresholds are
`settings.query`.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from ingest.text import normalise
from rag.query.clauses import ClauseQuery, parse_clause_query
from rag.query.names import DocumentNames, is_place, name_rules
from rag.search.keyword import PARTICLES, KeywordSearch, Tokenizer, jieba_module, pos_tags, stopwords, tokenize
from rag.settings import QuerySettings
from rag.store.phrases import PhraseLookup

INTENTS_FILE = Path(__file__).with_name("intents.toml")
SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ASKED_UNIT = re.compile(r"(?:多少|几)个?(?P<unit>[\u4e00-\u9fff%]{1,4})|多(?P<far>远|久|长时间)")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,30})[”\"」』]")
QUESTION_WORD = re.compile(r"多少|什么|哪|几|如何|怎|是否|吗|呢|？|\?")
_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_SHORT_FORM = re.compile(r"^[\u4e00-\u9fff]{2,3}$")  # "年假", "家暴": a short form of a longer word
NAME_FLAGS = ("nr", "nrt", "ns")  # people and places: the evidence must name them too
PLACE_FLAG = "ns"  # a place; one written as a place ("遂宁市": names.toml `place_pattern`) that no document names is asked of none
# Words of these kinds are never "corrected": numerals, pronouns, adverbs, particles, punctuation…
FUNCTION_FLAGS = ("m", "r", "d", "p", "c", "u", "y", "e", "o", "q", "x", "f", "t", "a")
NOUN_FLAGS = ("n", "nr", "nrt", "ns", "nt", "nz", "eng")  # only an unknown noun says "this is not in the plans"
VERB_FLAGS = NOUN_FLAGS + ("v", "vn")  # the words counted for the foreign share


class Want(StrEnum):
    """What kind of answer a question asks for (its phrases: `[wants]` in intents.toml)."""

    LIST = "list"  # "有哪些…": every item
    NUMBER = "number"  # "多少…": a figure
    DATE = "date"  # "什么时候…"
    LOCATE = "locate"  # "哪份文件/哪一条…": where the text says it
    COMPARE = "compare"  # two documents named, or "比较/区别"


class MetadataField(StrEnum):
    """A fact about a document itself, not its text (its phrases: `[metadata]` in intents.toml)."""

    DOC_NUMBER = "doc_number"  # 发文字号
    ISSUER = "issuer"  # 发文机关
    DATE_WRITTEN = "date_written"  # 成文日期
    DATE_PUBLISHED = "date_published"  # 发布日期 / 公布日期
    DATE_ADOPTED = "date_adopted"  # 通过日期 and the meeting that adopted it
    DATE_APPROVED = "date_approved"  # 批准日期 and the approving body
    DATE_EFFECTIVE = "date_effective"  # 施行日期
    ORDER = "order"  # which document came first


@dataclass(frozen=True)
class Intents:
    metadata: dict[MetadataField, tuple[str, ...]]
    metadata_pairs: dict[MetadataField, tuple[tuple[str, ...], tuple[str, ...]]]
    about_document: tuple[str, ...]
    wants: dict[str, tuple[str, ...]]
    list_pattern: re.Pattern[str]
    number_pattern: re.Pattern[str]
    units: dict[str, tuple[str, ...]]
    asking: frozenset[str] = frozenset()  # words of the asking, never a key term (`[asking]`)
    refers_back: tuple[str, ...] = ()  # words pointing back at what was just asked (`[follow_up]`)
    negation: frozenset[str] = frozenset()  # words before something absent, never a key term (`[negation]`)

    @classmethod
    def load(cls, path: Path = INTENTS_FILE) -> Intents:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        metadata = dict(data["metadata"])
        about = tuple(metadata.pop("about_document"))
        pairs = {MetadataField(k): (tuple(v[0]), tuple(v[1])) for k, v in data.get("metadata_pairs", {}).items()}
        wants = dict(data["wants"])
        list_pattern = re.compile(wants.pop("list_pattern"))
        number_pattern = re.compile(wants.pop("number_pattern"))
        return cls(
            metadata={MetadataField(k): tuple(v) for k, v in metadata.items()},
            metadata_pairs=pairs,
            about_document=about,
            wants={k: tuple(v) for k, v in wants.items()},
            list_pattern=list_pattern,
            number_pattern=number_pattern,
            units={k: tuple(v) for k, v in data["units"].items()},
            asking=frozenset(data.get("asking", {}).get("words", ())),
            refers_back=tuple(data.get("follow_up", {}).get("refers_back", ())),
            negation=frozenset(data.get("negation", {}).get("words", ())),
        )


@lru_cache(maxsize=1)
def default_intents() -> Intents:
    return Intents.load()


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    with open(SYNONYMS_FILE, "rb") as handle:
        return {word: tuple(terms) for word, terms in tomllib.load(handle).items()}


@dataclass(frozen=True)
class Question:
    """A question as the answerers see it."""

    text: str  # as asked
    search_text: str  # mended: homophones corrected, the documents' terms for everyday words added
    normalised: str
    tokens: tuple[str, ...]  # content tokens of search_text (stopwords out): what BM25 searches
    content: str = ""  # the question as asked (mended) without the documents it names: what evidence must cover
    expansions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # everyday word → the documents' terms (synonyms.toml)

    @property
    def query(self) -> str:
        """What to search for: once documents are chosen by name, their names are not searched; the
        documents' terms for everyday words are searched beside them."""
        if self.doc_ids and self.content.strip():
            return _with_terms(self.content, self.content_expansions)
        return self.search_text

    @property
    def content_expansions(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The expansions of words the content holds: "国办" in "国办政务新媒体意见" names the document,
        so 国务院办公厅 is neither searched nor weighed (it would find the page's signature line)."""
        return tuple((word, terms) for word, terms in self.expansions if word in self.content)

    doc_ids: tuple[str, ...] = ()  # documents it names, in order
    clause: ClauseQuery | None = None
    metadata_field: MetadataField | None = None
    metadata_fields: tuple[MetadataField, ...] = ()  # every field asked ("文号和发文机关"), metadata_field first
    wants: frozenset[Want] = field(default_factory=frozenset)
    years: tuple[str, ...] = ()  # years the evidence must mention ("2030")
    units: tuple[str, ...] = ()  # units the figure must carry ("亿元", "万亿")
    names: tuple[str, ...] = ()  # places and people the evidence must mention
    unknown: tuple[str, ...] = ()  # nouns no plan uses: nothing can answer about them
    parts: tuple[str, ...] = ()  # sub-questions of a question that asks several things
    quoted: tuple[str, ...] = ()  # phrases in quotation marks: looked for exactly
    elsewhere: tuple[str, ...] = ()  # document names given with a place no such document has
    absent_places: tuple[str, ...] = ()  # places named as places ("遂宁市") that no document names
    foreign: float = 0.0  # share of its nouns and verbs that no plan uses ("忽略…指令…提示词": most)
    refers_back: bool = False  # it points back at what was just asked ("这个批复", "它的")


class Mended(NamedTuple):
    """A question with its homophones corrected, and what reading its words found."""

    text: str  # the question, each mistyped plan word replaced by the plan's word
    unknown: tuple[str, ...]  # nouns no plan uses
    names: tuple[str, ...]  # places and people the evidence must name (not common, not in a document's name)
    foreign: float  # share of its nouns and verbs that no plan uses
    absent_places: tuple[str, ...] = ()  # places named (遂宁市, 天津市) that no document names


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(p in text for p in phrases)


def _paired(text: str, pair: tuple[tuple[str, ...], ...]) -> bool:
    """One word of each list occurs in one clause of the question ("哪天" and "施行"; not "哪天施行？
    由什么文件发布": that asks no 发布 date)."""
    return bool(pair) and any(all(_has(piece, words) for words in pair) for piece in re.split(r"[，,？?；;。]", text))


def _first_at(text: str, phrases: tuple[str, ...]) -> int:
    """Where the first of the phrases occurs (len(text) when none does): fields are answered in the
    order the question asks them."""
    return min((i for p in phrases if (i := text.find(p)) >= 0), default=len(text))


class QuestionReader:
    """Reads questions against one catalogue (its document names, vocabulary and text)."""

    def __init__(
        self,
        names: DocumentNames,
        keyword: KeywordSearch,
        corpus_text: str,
        tokenizer: Tokenizer = Tokenizer.JIEBA,
        intents: Intents | None = None,
        settings: QuerySettings | None = None,
    ) -> None:
        self.names = names
        self._keyword = keyword
        self._corpus = PhraseLookup(corpus_text)
        self._tokenizer = tokenizer
        self._intents = intents or default_intents()
        self._settings = settings or QuerySettings()
        self._long_forms = _long_form_index(keyword.vocabulary())

    @property
    def intents(self) -> Intents:
        return self._intents

    @cached_property
    def _homophones(self) -> dict[str, str]:
        """Built when a question first holds a word that may be mistyped (pypinyin over the whole
        vocabulary: most of a fresh process's start, and most questions never need it)."""
        return _homophone_index(self._keyword.vocabulary(), self._keyword)

    def read(self, text: str) -> Question:
        """Everything the answerers need to know about a question, found in this order:

        1. `mend`: mistyped plan words corrected, unknown nouns, required names, the foreign share.
           First, because every later step should see "内江", not the "内疆" that was typed.
        2. the plan's terms for everyday words appended ("GDP" → 地区生产总值): the search text.
        3. the documents it names, then what it wants (list, number, date, locate, compare) from the
           phrases of intents.toml. A list question is not also a number question ("有哪几个…");
           a question across documents ("哪两份文件都提到…") keeps no document filter.
        4. for a number: the units its figure must carry ("多少亿元"); then the clause it points at,
           the metadata field it asks about, its years, sub-questions and quoted phrases.
        """
        intents = self._intents
        short_forms = self._abbreviations(text)
        mended = self.mend(text, frozenset(word for word, _ in short_forms))
        expansions = _expansions(mended.text) + short_forms
        search_text = _with_terms(mended.text, expansions)
        normalised = normalise(search_text)
        plain = normalise(mended.text)  # what was asked: intents are read from it, not from added terms
        named = self.names.mentions(mended.text)  # a name fitting two documents names both, not a comparison
        doc_ids = tuple(dict.fromkeys(d for m in named for d in m.doc_ids))
        wants: set[Want] = set()
        if _has(plain, intents.wants["list"]) or intents.list_pattern.search(plain):
            wants.add(Want.LIST)
        if Want.LIST not in wants and (_has(plain, intents.wants["number"]) or intents.number_pattern.search(plain)):
            wants.add(Want.NUMBER)
        if _has(plain, intents.wants["date"]):
            wants.add(Want.DATE)
        if _has(plain, intents.wants["yes_no"]) and not intents.number_pattern.search(plain):
            wants -= {Want.NUMBER, Want.DATE}  # "有上限吗": what the text says, with or without a figure
        if _has(plain, intents.wants["locate"]):
            wants.add(Want.LOCATE)
        if _has(plain, intents.wants["across_documents"]):
            wants.add(Want.LOCATE)
            if len({m.doc_ids for m in named if m.doc_ids}) < 2:
                doc_ids = ()  # "哪两份文件都提到綦江万盛…": the named document is the subject
        places = tuple(n for n in mended.names if is_place(n))
        # "郑州和青岛的养犬条例咋说的": one name with two places names two documents side by side
        side_by_side = len(doc_ids) >= 2 and len(places) >= 2
        if len({m.doc_ids for m in named if m.doc_ids}) >= 2 or side_by_side or _has(plain, intents.wants["compare"]):
            wants.add(Want.COMPARE)
            titles = "".join(self.names.title(d) for d in doc_ids)
            unnamed = tuple(p for p in places if p not in titles)  # places whose document is not named yet
            if len(doc_ids) < 2 and len(doc_ids) + len(unnamed) >= 2:  # "郑州和青岛的养犬登记分别…"
                topic = tuple(t for t in tokenize(search_text) if len(t) >= 2 and t not in mended.names)
                doc_ids = tuple(dict.fromkeys(doc_ids + self.names.by_places(unnamed, topic))) or doc_ids
        asked_fields = self._metadata_fields(plain, doc_ids)
        units: tuple[str, ...] = ()
        if Want.NUMBER in wants and (match := _ASKED_UNIT.search(plain)):
            units = self._units_for(match["unit"] or match["far"])
        return Question(
            text=text,
            search_text=search_text,
            normalised=normalised,
            tokens=tuple(tokenize(search_text, self._tokenizer)),
            content=self.names.strip_names(plain),
            expansions=expansions,
            doc_ids=doc_ids,
            clause=parse_clause_query(search_text),
            metadata_field=next(iter(asked_fields), None),
            metadata_fields=asked_fields,
            wants=frozenset(wants),
            years=self._asked_years(normalised, doc_ids),
            units=units,
            names=mended.names,
            unknown=mended.unknown,
            parts=_parts(mended.text),
            quoted=tuple(dict.fromkeys(_QUOTED.findall(text))),
            elsewhere=tuple(self.names.named_elsewhere(mended.text)),
            foreign=mended.foreign,
            absent_places=mended.absent_places,
            refers_back=any(word in intents.refers_back for word in jieba_module().lcut(plain)),
        )

    def mend(self, text: str, short_forms: frozenset[str] = frozenset()) -> Mended:
        """Correct homophones of plan words, and note the unknown nouns, the names the evidence
        must hold and the share of foreign words, in one pass over jieba's tagged words. A short
        form of a plan word (`_abbreviations`) is neither a typo nor unknown."""
        mended: list[str] = []
        unknown: list[str] = []
        required: list[str] = []
        absent: list[str] = []
        content = foreign = 0
        for word, flag in pos_tags(text):
            if (
                word not in short_forms
                and self._typo(word, flag)
                and (correction := self._homophones.get(_pinyin(word)))
            ):
                word = correction
            mended.append(word)
            in_plans = word in self._corpus or word in synonyms() or word in short_forms
            if self._content_word(word, flag, VERB_FLAGS):
                content += 1
                foreign += not in_plans
            if not in_plans and self._content_word(word, flag, NOUN_FLAGS):
                unknown.append(word)
                if flag.startswith(PLACE_FLAG) and name_rules().place_pattern.fullmatch(word):
                    absent.append(word)
            elif (
                flag in NAME_FLAGS
                and len(word) >= 2
                and in_plans
                and not self._common(word)
                and word not in synonyms()  # an everyday word with a formal one (养狗 → 养犬) is no name
            ):
                required.append(word)
        text = "".join(mended)
        named = self.names.strip_names(normalise(text))
        required = [w for w in required if w in named]  # a place inside a document's name is not a constraint
        return Mended(
            text,
            tuple(dict.fromkeys(unknown)),
            tuple(dict.fromkeys(required)),
            foreign / content if content else 0.0,
            tuple(dict.fromkeys(absent)),
        )

    def _asked_years(self, normalised: str, doc_ids: tuple[str, ...]) -> tuple[str, ...]:
        """The years the evidence must mention. A year inside a document's name that its title holds
        ("成资2023工作要点") chose the document and is not asked about; one its title does not hold
        ("…2024年工作要点" of the 2023 one) still is."""
        outside = _YEAR.findall(self.names.strip_names(normalised))
        titles = "".join(self.names.title(d) for d in doc_ids)
        kept = [y for y in _YEAR.findall(normalised) if y in outside or y not in titles]
        return tuple(dict.fromkeys(kept))

    def _abbreviations(self, text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Short forms no document uses, with the documents' words they shorten: a Chinese short
        form keeps characters of the long one in order, starting with its first, and is at least
        half as long ("年假" → 年休假, "家暴" → 家庭暴力, "产检" → 产前检查). Derived from the documents' own words, so it holds for any document."""
        found = []
        for word in dict.fromkeys(jieba_module().lcut(text)):
            if not _SHORT_FORM.match(word) or word in self._corpus or word in synonyms():
                continue
            longer = tuple(
                w for w in self._long_forms.get(word[0], ()) if len(w) <= 2 * len(word) and _keeps_in_order(word, w)
            )
            if 0 < len(longer) <= self._settings.max_long_forms:
                found.append((word, longer))
        return tuple(found)

    def _typo(self, word: str, flag: str) -> bool:
        """A word that may be a mistyped plan word: not in the plans, not a common word, not a
        fragment jieba glued to a particle ("项是")."""
        return (
            _HAN_WORD.match(word) is not None
            and word not in self._corpus
            and not flag.startswith(FUNCTION_FLAGS)
            and jieba_module().get_FREQ(word, 0) < self._settings.common_word_frequency
            and not any(char in PARTICLES for char in word)
        )

    @staticmethod
    def _content_word(word: str, flag: str, kinds: tuple[str, ...]) -> bool:
        """A word of these kinds that carries meaning (not a question word, not glued to a particle)."""
        return (
            len(word) >= 2
            and re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", word) is not None
            and flag.startswith(kinds)
            and word not in stopwords()
            and not any(char in PARTICLES for char in word)
            and not QUESTION_WORD.search(word)
        )

    def _common(self, word: str) -> bool:
        """A name so many chunks hold that requiring it would rule out nothing."""
        return self._keyword.frequency(word) > self._settings.common_name_share * len(self._keyword)

    def _units_for(self, asked: str) -> tuple[str, ...]:
        """Evidence units that answer "多少<asked>": the longest unit the asked words start with."""
        for unit in sorted(self._intents.units, key=len, reverse=True):
            if asked.startswith(unit):
                return self._intents.units[unit]
        return ()

    def _metadata_fields(self, normalised: str, doc_ids: tuple[str, ...]) -> tuple[MetadataField, ...]:
        """The metadata fields asked for, when the question is about the document itself: a field's
        phrase ("发文字号"), or one of its words with a question word of its kind ("哪天…施行")."""
        intents = self._intents
        pairs = intents.metadata_pairs
        rest = self.names.strip_names(normalised)  # "…个人所得税法实施条例" asks no 实施 date
        asked = tuple(
            sorted(
                (
                    f
                    for f, phrases in intents.metadata.items()
                    if _has(rest, phrases) or _paired(rest, pairs.get(f, ()))
                ),
                key=lambda f: _first_at(rest, intents.metadata[f] + pairs.get(f, ((), ()))[0]),
            )
        )
        if not asked:
            return ()
        if {MetadataField.DATE_APPROVED, MetadataField.DATE_ADOPTED} & set(asked) and not _has(
            rest, tuple(p for p in intents.metadata[MetadataField.ISSUER] if not p.startswith(("哪", "谁")))
        ):
            asked = tuple(
                f for f in asked if f != MetadataField.ISSUER
            )  # "由哪个机关批准": the approver, not the issuer
        words = [p for phrases in intents.metadata.values() for p in phrases]
        words += [w for pair in pairs.values() for group in pair for w in group]
        for phrase in sorted(words, key=len, reverse=True):
            rest = rest.replace(phrase, " ")
        titles = "".join(self.names.title(d) for d in doc_ids)
        tokens = tokenize(rest)
        fine = [
            t
            for t in tokens
            if t in titles or t.isdigit() or any(t in word or word in t for word in intents.about_document)
        ]  # a year ("2018年国务院修订的") says which document, not what to look for
        # a piece of a word that is fine ("全国" of "全国人大常委会") is fine too
        leftover = [t for t in tokens if t not in fine and not any(t in word for word in fine)]
        return asked if not leftover else ()


def _expansions(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The everyday words of `text` with the documents' terms for them (synonyms.toml)."""
    return tuple((word, terms) for word, terms in synonyms().items() if word in text)


def _with_terms(text: str, expansions: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The text with the documents' terms for its everyday words appended."""
    added = [term for _, terms in expansions for term in terms]
    return text + " " + " ".join(added) if added else text


def _parts(text: str) -> tuple[str, ...]:
    """Sub-questions: "…是多少？到2025年目标又是多少？" or "…现在是多少，2025年要达到多少" asks two things."""
    pieces: list[str] = []
    for sentence in re.split(r"[？?；;]", text):
        clauses = [c.strip() for c in re.split(r"[，,]", sentence) if c.strip()]
        if len(clauses) > 1 and all(QUESTION_WORD.search(c) for c in clauses):
            pieces += clauses
        elif sentence.strip():
            pieces.append(sentence.strip())
    pieces = [p for p in pieces if len(p) >= 4]
    return tuple(pieces) if len(pieces) > 1 else ()


def _pinyin(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word))


def _long_form_index(vocabulary: list[str]) -> dict[str, list[str]]:
    """First character → the documents' words of 3–4 characters: where the long forms of a short
    form are looked for."""
    index: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        if _HAN_WORD.match(word) and len(word) >= 3:
            index[word[0]].append(word)
    return index


def _keeps_in_order(short: str, long: str) -> bool:
    """`short`'s characters occur in `long` in order ("年假" in 年休假)."""
    rest = iter(long)
    return len(short) < len(long) and all(char in rest for char in short)


def _homophone_index(vocabulary: list[str], keyword: KeywordSearch) -> dict[str, str]:
    """Pinyin → the most common plan word of 2–4 characters that sounds so."""
    by_sound: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        if _HAN_WORD.match(word):
            by_sound[_pinyin(word)].append(word)
    return {sound: max(words, key=keyword.frequency) for sound, words in by_sound.items()}
