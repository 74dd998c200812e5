"""Which documents a question (or a `--doc` value) names.

Names are derived from each title, not listed. A question names a document by
- a phrase whose characters occur in the title in order and end with one of its kind words
  (`names.toml`): "威海停车条例", "停车管理条例" and "威海市停车条例" all fit 威海市停车管理和服务条例,
  "反家暴法" fits 中华人民共和国反家庭暴力法, "政务新媒体意见" the 国办 意见 on 政务新媒体;
- or an exact name: the title, its core without issuer, 关于 and kind ("家庭教育促进"), the issuer
  with the kind ("内江市委决定"), and the nicknames of `data/plans/aliases.toml` ("内自", "綦万").
A phrase must hold at least two distinctive characters (not generic words, places or fillers):
"条例", "市委决定", "内江方案" name nothing. A phrase that fits several documents ("养犬条例" with two
cities' 养犬条例 indexed) names all of them, narrowed by places just before it ("郑州的养犬条例"),
and nothing when it fits more than `settings.query.max_named_documents`: never one silently.
One wrong character is forgiven only in a long exact name, only for a homophone of the right one
("棋江万盛" → 綦江万盛), and only when that name fits one document. Clause references are clauses.py.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.records import Document
from ingest.text import normalise
from rag.settings import QuerySettings

RULES_FILE = Path(__file__).with_name("names.toml")
_QUOTES = re.compile(r"[“”\"「」『』《》〈〉‘’'—\-]")
_ISSUER = re.compile(r"^(?:中共)?(?P<org>[^关]{2,16}?)关于")
_INNER_TITLE = re.compile(r"印发(?P<inner>.+?)的通知$")


class AmbiguousName(ValueError):
    """A `--doc` value that fits several documents."""

    def __init__(self, value: str, titles: list[str]) -> None:
        super().__init__(value)
        self.value, self.titles = value, titles


@dataclass(frozen=True)
class NameRules:
    kinds: tuple[str, ...]
    generic: tuple[str, ...]  # longest first
    fillers: str
    regions: tuple[str, ...]
    place_pattern: re.Pattern[str]
    pointers: tuple[str, ...] = ()  # "那个" in "内江市委那个决定": skipped inside a name


@lru_cache(maxsize=1)
def name_rules(path: Path = RULES_FILE) -> NameRules:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return NameRules(
        kinds=tuple(data["kinds"]),
        generic=tuple(sorted(data["generic"], key=len, reverse=True)),
        fillers=data["fillers"],
        regions=tuple(data["regions"]),
        place_pattern=re.compile(data["place_pattern"]),
        pointers=tuple(data.get("pointers", ())),
    )


@dataclass(frozen=True)
class Mention:
    """A phrase of the question that names documents: text[start:end]."""

    start: int
    end: int
    doc_ids: tuple[str, ...]
    kind: str = ""  # the kind word it ends with ("规划")


def load_aliases(path: Path) -> dict[str, list[str]]:
    """Nicknames by document id; no file means none."""
    if not path.is_file():
        return {}
    with open(path, "rb") as handle:
        return {doc_id: list(names) for doc_id, names in tomllib.load(handle).items()}


def bare_title(title: str) -> str:
    """The title as names are matched against it: normalised, without quotation marks and dashes."""
    return _QUOTES.sub("", normalise(title))


# A place written right before a document's name: "北京市" of "北京市信访条例".
PLACE_SUFFIXES = ("市", "区", "县", "省")  # what follows a place's name in jieba's dictionary ("自贡市")
_PLACE_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:自治区|省|市)$")
# A title with its place: "天津市节约用水条例", "江苏省电动自行车管理条例".
_PLACED_TITLE = re.compile(
    r"(?P<place>[\u4e00-\u9fff]{2,3}?)(?:省|市|自治区)(?:(?![了么哪几吗呢谁])[\u4e00-\u9fff]){2,24}?"
    r"(?:条例|办法|规定|细则|决定|意见|通知|方案|规划)"
)


def places_in(title: str) -> set[str]:
    """Places a title names: the one it starts with ("威海市" → 威海) and jieba's `ns` words."""
    rules = name_rules()
    found: set[str] = set()
    if match := rules.place_pattern.match(re.sub(r"^中共", "", title)):
        found.add(match[1])
    from rag.search.keyword import pos_tags  # jieba loads on first use

    for word, flag in pos_tags(title):
        if flag == "ns" and 2 <= len(word) <= 4:
            found.add(word[:-1] if len(word) > 2 and word[-1] in "省市区县" else word)
    return {p for p in found if not any(p in g for g in rules.generic)}


@lru_cache(maxsize=4096)
def is_place(word: str) -> bool:
    """`word` is a place's name: jieba tags it a place, or knows it as one word with 市, 区, 县 or 省
    after it ("自贡" → 自贡市, "万盛" → 万盛区), as it knows the country's places."""
    from rag.search.keyword import pos_tags  # jieba loads on first use

    if len(word) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
        return False
    if [flag for _, flag in pos_tags(word)] == ["ns"]:
        return True
    for suffix in PLACE_SUFFIXES:
        tags = pos_tags(word + suffix)
        if len(tags) == 1 and (tags[0][1] == "ns" or suffix == "市"):
            return True
    return False


def names_for(document: Document, aliases: dict[str, list[str]]) -> set[str]:
    """The exact names of a document (phrases ending in a kind word are matched in `DocumentNames`)."""
    rules = name_rules()
    title = bare_title(document.title)
    names = {title, *(normalise(a) for a in aliases.get(document.doc_id, []))}
    names.add(title.removeprefix("中华人民共和国"))
    inner = _INNER_TITLE.search(title)
    issuer = _ISSUER.match(title)
    core = inner["inner"] if inner else title[issuer.end() :] if issuer else title
    core = re.sub(r"^(?:中华人民共和国|关于|推动|印发)+", "", core)
    places = places_in(document.title)
    if (place := rules.place_pattern.match(core)) and place[1] in places and len(core) - place.end() >= 4:
        core = core[place.end() :]  # 威海市停车管理和服务条例 → 停车管理和服务条例
    names.add(core)
    lead = re.compile("^(?:在|" + "|".join(rules.generic) + ")+")
    if len(lead.sub("", core)) >= 4:
        core = lead.sub("", core)  # 推进政务新媒体健康有序发展的意见 → 政务新媒体健康有序发展的意见
        names.add(core)
    for kind in rules.kinds:
        if core.endswith(kind):
            core = core[: -len(kind)].removesuffix("的")
            break
    for word in rules.generic:  # "政府网站集约化试点工作" → 政府网站集约化试点
        core = core.removesuffix(word) if len(core) - len(word) >= 4 else core
    names.add(core)
    cut = min((core.find(w) for w in rules.regions if core.find(w) >= 0), default=-1)
    if cut >= 4:
        names.add(core[:cut])  # a region: "川南渝西地区融合发展" → 川南渝西
    if issuer and (ending := next((k for k in rules.kinds if title.endswith(k)), None)):
        names.add(issuer["org"] + ending)  # 内江市委决定
    from rag.search.keyword import jieba_module

    # a derived name that is one dictionary word ("家庭教育") is a topic, not a name
    derived = {n for n in names if n == _without_kind(n) and n != title and jieba_module().get_FREQ(n, 0)}
    names -= derived - {normalise(a) for a in aliases.get(document.doc_id, [])}
    return {n for n in names if len(n) >= 2 and _distinctive([_without_kind(n)], places)}


def _without_kind(name: str) -> str:
    kind = next((k for k in name_rules().kinds if name.endswith(k)), "")
    return name[: len(name) - len(kind)]


def _distinctive(pieces: list[str], places: set[str]) -> bool:
    """Pieces of a title (without its kind word) that tell it from others: two characters that are
    neither generic words, places nor fillers ("停车", "控…烟"), or a run of four or more with two
    characters that are not generic ("内江自贡", "内江市委")."""
    rules = name_rules()
    content = 0
    for piece in pieces:
        rest = piece
        for word in rules.generic:
            rest = rest.replace(word, " ")
        rest = "".join(c for c in rest if c != " " and c not in rules.fillers)
        if len(piece) >= 4 and len(rest) >= 2:
            return True
        for place in places:
            rest = rest.replace(place, "")
        content += len(rest)
    return content >= 2


class DocumentNames:
    """Finds the documents a question or a `--doc` value names."""

    def __init__(
        self, documents: list[Document], aliases: dict[str, list[str]], settings: QuerySettings | None = None
    ) -> None:
        settings = settings or QuerySettings()
        self._min_fuzzy = settings.min_fuzzy_name  # exact names this long may have one homophone wrong
        self._max_named = settings.max_named_documents  # a phrase fitting more names nothing
        self._names = [(name, d.doc_id) for d in documents for name in names_for(d, aliases)]
        self._names.sort(key=lambda pair: -len(pair[0]))  # longest first: "内江市委决定" before "内江市委"
        self._titles = {d.doc_id: d.title for d in documents}
        self._bare = {d.doc_id: bare_title(d.title) for d in documents}
        self._places = {d.doc_id: places_in(d.title) for d in documents}
        self._fits: dict[str, set[str]] = {}
        for name, doc_id in self._names:  # an exact name fits every title holding it
            self._fits.setdefault(name, set()).add(doc_id)
        for name, fits in self._fits.items():
            fits.update(d for d, title in self._bare.items() if name in title)
        kinds = name_rules().kinds
        self._by_kind = {k: [d for d, title in self._bare.items() if k in title] for k in kinds}
        # With thousands of documents, trying every name on every question cost more than the rest of
        # an answer: names are looked up by their characters instead (`_candidates`).
        lengths = np.array([len(name) for name, _ in self._names], dtype=np.int32)
        self._needed = {
            True: lengths,  # an exact occurrence: every character of the name is in the text
            False: lengths - (lengths >= self._min_fuzzy),  # or all but one, for a fuzzy one
        }
        positions: dict[str, dict[int, int]] = {}
        for number, (name, _) in enumerate(self._names):
            for char in name:
                counts = positions.setdefault(char, {})
                counts[number] = counts.get(number, 0) + 1
        self._by_char = {
            char: (
                np.fromiter(counts, dtype=np.int64, count=len(counts)),
                np.fromiter(counts.values(), dtype=np.int32, count=len(counts)),
            )
            for char, counts in positions.items()
        }

    def _candidates(self, text: str, exact: bool) -> list[tuple[str, str]]:
        """The (name, doc_id) pairs, in their order, whose characters the text holds (all of them, or
        all but one when `exact` is False): a name that can occur in the text must be one of them."""
        held = np.zeros(len(self._names), dtype=np.int32)
        for char in set(text):
            if char in self._by_char:
                numbers, counts = self._by_char[char]
                held[numbers] += counts
        return [self._names[number] for number in np.flatnonzero(held >= self._needed[exact])]

    def mentions(self, question: str) -> list[Mention]:
        """The phrases of the question that name documents, in order, without overlaps."""
        text = normalise(question)
        found, _ = self._named(text)
        found += self._kind_phrases(text)
        found.sort(key=lambda f: (f[0] - f[1], f[0]))  # longest first
        taken = [False] * len(text)
        chosen: list[Mention] = []
        for start, end, fitting, kind in found:
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            doc_ids = self._narrowed(text[:start], sorted(fitting))
            if len(doc_ids) <= self._max_named:
                chosen.append(Mention(start, end, tuple(doc_ids), kind))
        return sorted(chosen, key=lambda m: m.start)

    def named_elsewhere(self, question: str) -> list[str]:
        """Document names the question gives with another place ("江苏省电动自行车管理条例" when only
        浙江's is indexed): a document the library does not hold, never to be answered from another."""
        text = normalise(question)
        found, elsewhere = self._named(text)
        taken = [(start, end) for start, end, _, _ in found]
        known = set().union(*self._places.values()) if self._places else set()
        for match in _PLACED_TITLE.finditer(text):  # "天津市节约用水条例": no document of 天津 at all
            place = match["place"]  # a place, not the words before a 市 of 市场 ("意见和市场监管…规定")
            if is_place(place) and place not in known and not any(place in p or p in place for p in known):
                elsewhere.append(match.span())
        named = [
            text[start:end] for start, end in elsewhere if not any(s <= start < e or start <= s < end for s, e in taken)
        ]
        return list(dict.fromkeys(named))  # found by both readings: named once

    def _named(self, text: str) -> tuple[list[tuple[int, int, frozenset[str], str]], list[tuple[int, int]]]:
        """(phrases naming documents, with their documents and kind word; spans of names that fit
        documents only of other places, the place included)."""
        found: list[tuple[int, int, frozenset[str], str]] = []
        elsewhere: list[tuple[int, int]] = []
        kinds = name_rules().kinds
        for name, _ in self._candidates(text, exact=False):
            fits = self._fits[name]
            starts = _occurrences(text, name)
            if not starts and len(name) >= self._min_fuzzy and len(fits) == 1:
                starts = _homophone_occurrences(text, name)
            for start in starts:
                kept = frozenset(d for d in fits if not self._other_place(text, start, d))
                end = self._tail(text, start + len(name), kept or frozenset(fits))
                if kept:
                    kind = next((k for k in kinds if text.endswith(k, start, end)), "")
                    found.append((start, end, kept, kind))
                elif any(text.endswith(k, start, end) for k in kinds):
                    place = _PLACE_BEFORE.search(text[max(start - 5, 0) : start])
                    elsewhere.append((start - (len(place[0]) if place else 0), end))
        return found, elsewhere

    def _kind_phrases(self, text: str) -> list[tuple[int, int, frozenset[str], str]]:
        """Phrases ending in a kind word whose characters occur in order in a title ending there:
        for each, the documents it fits with the longest phrase."""
        found: list[tuple[int, int, frozenset[str], str]] = []
        kinds = name_rules().kinds
        for kind in kinds:
            end = text.find(kind)
            while end != -1:
                stop = end + len(kind)
                longer = any(text.endswith(k, 0, stop) for k in kinds if len(k) > len(kind))
                best: dict[int, set[str]] = {}
                for doc_id in [] if longer else self._by_kind[kind]:  # "法" in "办法" is not a kind
                    start = self._fit(text, end, kind, doc_id)
                    if start is not None:
                        best.setdefault(start, set()).add(doc_id)
                if best:
                    start = min(best)
                    found.append((start, stop, frozenset(best[start]), kind))
                end = text.find(kind, stop)
        return found

    def _fit(self, text: str, end: int, kind: str, doc_id: str) -> int | None:
        """Where the phrase ending with `kind` at `end` starts, when it fits the document's title."""
        title = self._bare[doc_id]
        pointers = name_rules().pointers
        best: int | None = None
        at = title.find(kind)
        while at != -1:  # each place the kind word stands in the title ("…方案的通知")
            position, start = at, end
            while start > 0:
                char = text[start - 1]
                if _QUOTES.fullmatch(char):
                    start -= 1
                    continue
                pointer = next((p for p in pointers if text.endswith(p, 0, start)), "")
                if pointer and start > len(pointer) and position < len(title):  # "市委那个决定": inside a name
                    start -= len(pointer)
                    continue
                found = title.rfind(char, 0, position)
                if found == -1:
                    break
                position, start = found, start - 1
            if best is None or start < best:
                best = start
            at = title.find(kind, at + 1)
        if best is None or end - best < 2:
            return None
        phrase = _QUOTES.sub("", text[best:end])
        for pointer in pointers:
            phrase = phrase.replace(pointer, "")
        if phrase[:1] in "省市区县" and best > 0 and "\u4e00" <= text[best - 1] <= "\u9fff":
            return None  # "江苏省电动自行车管理条例" is another province's document
        return best if _distinctive(_pieces(phrase, title), self._places[doc_id]) else None

    def _tail(self, text: str, end: int, doc_ids: frozenset[str]) -> int:
        """Where a name ends once the title words after it are taken in: "内自" + "同城化", "成资" + "要点"
        (words of the title that are generic or its kind; "内自的目标" stays "内自")."""
        best = end
        for stop in range(end + 2, min(end + 8, len(text)) + 1):
            tail = text[end:stop]
            if not any(tail in self._bare[d] for d in doc_ids):
                break
            if not _distinctive([tail], set()) and not tail.startswith(tuple(name_rules().fillers)):
                best = stop
        return best

    def _other_place(self, text: str, start: int, doc_id: str) -> bool:
        """A place not of this document stands right before the name ("北京市信访条例" is not 上海's)."""
        match = _PLACE_BEFORE.search(text[max(start - 5, 0) : start])
        return match is not None and not any(p in match[0] for p in self._places[doc_id])

    def _narrowed(self, before: str, doc_ids: list[str]) -> list[str]:
        """The documents of those a phrase fits whose places come right before it ("郑州和青岛的")."""
        if len(doc_ids) < 2:
            return doc_ids
        chosen: set[str] = set()
        rest = before.removesuffix("的")
        while True:
            hit = next(
                (
                    (d, form)
                    for d in doc_ids
                    for p in self._places[d]
                    for form in (p + "市", p + "省", p)
                    if rest.endswith(form)
                ),
                None,
            )
            if hit is None:
                break
            chosen.add(hit[0])
            rest = rest[: -len(hit[1])].rstrip("和与及、,，")
        return [d for d in doc_ids if d in chosen] or doc_ids

    def mentioned(self, question: str) -> list[str]:
        """Ids of the documents the question names, in the order it names them."""
        return list(dict.fromkeys(d for m in self.mentions(question) for d in m.doc_ids))

    def title(self, doc_id: str) -> str:
        """The document's title ("" for an unknown id)."""
        return self._titles.get(doc_id, "")

    def by_places(self, places: tuple[str, ...], topic: tuple[str, ...]) -> tuple[str, ...]:
        """One document per place for "郑州和青岛的养犬登记分别…": the document whose title names
        the place, or, when several do, the one whose title also holds a word of the `topic`; ()
        unless every place gives exactly one document (a comparison is never guessed)."""
        chosen: list[str] = []
        for place in places:
            fits = [d for d, found in self._places.items() if place in found]
            if len(fits) > 1:
                fits = [d for d in fits if any(word in self._titles[d] for word in topic)]
            if len(fits) != 1:
                return ()
            chosen.append(fits[0])
        return tuple(dict.fromkeys(chosen)) if len(set(chosen)) == len(places) else ()

    def strip_names(self, text: str) -> str:
        """`text` (normalised) with every phrase that names a document blanked out."""
        text = normalise(text)
        for mention in reversed(self.mentions(text)):
            text = text[: mention.start] + " " + text[mention.end :]
        return text

    def resolve(self, value: str) -> list[str]:
        """Document ids for a `--doc` value: an id, a title, a name, or a part of a title;
        `AmbiguousName` when one name fits several documents."""
        if value in self._titles:
            return [value]
        for mention in self.mentions(value):
            if len(mention.doc_ids) > 1:
                raise AmbiguousName(value, [self._titles[d] for d in mention.doc_ids])
        named = self.mentioned(value)
        if named:
            return named
        key = bare_title(value)
        found = [doc_id for doc_id, title in self._bare.items() if key and key in title]
        if len(found) > 1:
            raise AmbiguousName(value, [self._titles[d] for d in found])
        return found


def _pieces(phrase: str, title: str) -> list[str]:
    """The phrase cut into the longest runs that occur in the title in order ("控烟条例" in
    北京市控制吸烟条例 → 控, 烟, 条例), the kind word at the end left out."""
    pieces, position, start = [], 0, 0
    while start < len(phrase):
        length = 1
        while start + length <= len(phrase) and title.find(phrase[start : start + length], position) != -1:
            length += 1
        length = max(length - 1, 1)
        found = title.find(phrase[start : start + length], position)
        position = (found if found != -1 else position) + length
        pieces.append(phrase[start : start + length])
        start += length
    kinds = name_rules().kinds
    if pieces and (kind := next((k for k in kinds if pieces[-1].endswith(k)), None)):
        pieces[-1] = pieces[-1][: -len(kind)]
    return [p for p in pieces if p]


def _occurrences(text: str, name: str) -> list[int]:
    """Start offsets of `name` in `text` (not overlapping)."""
    found, start = [], text.find(name)
    while start != -1:
        found.append(start)
        start = text.find(name, start + len(name))
    return found


def _homophone_occurrences(text: str, name: str) -> list[int]:
    """Start offsets of `name` with one character replaced by a homophone ("棋江万盛" for 綦江万盛)."""
    starts = []
    for start in range(len(text) - len(name) + 1):
        window = text[start : start + len(name)]
        wrong = [(a, b) for a, b in zip(window, name) if a != b]
        if len(wrong) == 1 and _sound_alike(*wrong[0]):
            starts.append(start)
    return starts


def _sound_alike(one: str, other: str) -> bool:
    """Two characters read alike; pypinyin is loaded only when a window is one character off a name."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(one) == lazy_pinyin(other)
