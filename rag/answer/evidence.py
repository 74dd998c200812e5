"""Evidence: whole articles for the hits of a question, their sentences, and how well a piece of text
covers what the question asks (IDF-weighted, so "三草湾" counts more than "建设")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.headings import ITEM_KINDS, MAX_TITLE_CHARS, article_marker_length, match_heading
from ingest.records import Article, heading_words
from ingest.split import sentence_spans
from ingest.text import han_bigrams
from rag.query.reader import Question, default_intents, synonyms
from rag.records import Hit
from rag.search.keyword import PARTICLES, KeywordSearch, jieba_module, stopwords, tokenize
from rag.store.catalogue import Catalogue, index_text

# A figure: digits (with decimals, percentages) or a Chinese count with a measure word.
NUMBER = re.compile(
    r"\d+(?:\.\d+)?|[Ⅰ-Ⅻ]+|百分之[一二两三四五六七八九十点]+|[一二两三四五六七八九十百千万]*[一二两三四五六七八九十][一二两三四五六七八九十百千万]*(?=[个项条类种大片座所家级倍年元日天周月岁人户只名辆亿次]|小时|公里|米)"
)
# What a figure never is: a reference to an article ("本条例第九条"), a document's title ("《纲要（2015—2020年）》")
# or its number ("教职成〔2018〕8号").
_REFERENCE = re.compile(r"第[一二三四五六七八九十百千零〇\d]+[编章节条款项目]|《[^》]{0,80}》|[〔\[]\d{4}[〕\]]\d+号")
# A date, a time word, or a deadline ("…之日起30个工作日内"): what "什么时候" is answered with.
DATE_WORDS = re.compile(
    r"\d{1,2}[时点](?![\d.])|[一二三四五六七八九十]{1,3}时(?!间)|\d{4}年|\d{1,2}月|\d{1,2}日|年内|年底|年前|年末|上半年|下半年|月底|\d{4}—\d{4}"
    r"|[\d一二两三四五六七八九十]+个?(?:工作日|日|天|周|月|年)(?:内|以内|之内)"
)
# "四个", "30": a count, not a subject ("2025": a year, weighed as the year asked about); any other bare
# number of three digits or more ("110", "12345") names a service line or a code, and is one
_COUNT = re.compile(
    r"^(?:[一二两三四五六七八九十百千万]+|\d{1,2}|(?:19|20)\d{2})[个项条种类大片座所家份]?$|^\d+[个项条种类大片座所家份]$"
)


@dataclass(frozen=True)
class Passage:
    """A whole article (all its parts) used as evidence, with the best hit among its parts."""

    article: Article  # the first part: its clause_ref, section, chunk_id are the article's
    text: str  # the whole article
    hit: Hit
    context: str  # title, chapter and text: what names and years are looked for in

    @property
    def key(self) -> tuple[str, int]:
        return (self.article.doc_id, self.article.order)

    @property
    def heading(self) -> str:
        return heading_words(self.article.clause_ref, self.article.section)


def whole_article(article: Article, catalogue: Catalogue) -> tuple[Article, str]:
    """The first part of the article and the article's whole text."""
    parts = catalogue.parts(article) or [article]
    document = catalogue.documents_by_id.get(article.doc_id)
    if document is not None:
        text = document.text[parts[0].start : parts[-1].end]
    else:  # documents written by another process since the catalogue was built
        text = "\n".join(p.text for p in parts)
    return parts[0], text


def passages(hits: list[Hit], catalogue: Catalogue, limit: int) -> list[Passage]:
    """The distinct whole articles of the hits, best first, at most `limit`."""
    found: dict[tuple[str, int], Passage] = {}
    for hit in hits:
        key = (hit.article.doc_id, hit.article.order)
        if key in found:
            continue
        first, text = whole_article(hit.article, catalogue)
        found[key] = Passage(first, text, hit, index_text(first) + "\n" + text)
        if len(found) == limit:
            break
    return list(found.values())


@dataclass(frozen=True)
class Sentence:
    passage: Passage
    start: int  # in passage.text
    end: int
    paragraph: str  # the line holding the sentence

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]

    @property
    def topic(self) -> str:
        """The sentence under its article's heading: what it speaks about."""
        return self.passage.article.section + "\n" + self.text

    @property
    def is_heading(self) -> bool:
        """A heading ("(七)培育…集群。", "一、重要意义") opening its paragraph, not a statement."""
        opens_paragraph = self.paragraph.startswith(self.text)
        if not opens_paragraph or len(self.text) > MAX_TITLE_CHARS + 8 or self.text.endswith(("；", ";")):
            return False  # a heading is short and never ends a clause with a semicolon
        heading = match_heading(self.paragraph)
        # a regulation's 项 ("（一）养犬人具有完全民事行为能力；") are its text: its only heading is 第X条
        return heading is not None and not (heading.kind in ITEM_KINDS and self.passage.article.is_regulation_article)


def sentences(passage: Passage) -> list[Sentence]:
    """The sentences of the article, in order, each with the line that holds it. A regulation's
    "第十二条 …" line starts its first sentence after the marker: quotes hold the words only."""
    text = passage.text
    out = []
    for start, end in sentence_spans(text):
        line_start = text.rfind("\n", 0, start) + 1
        if start == line_start:
            start += article_marker_length(text[start:end]) or _bare_number_length(text[start:end])
            if start >= end:  # a bare "第十二条" line
                continue
        line_end = text.find("\n", end)
        out.append(Sentence(passage, start, end, text[line_start : line_end if line_end >= 0 else len(text)]))
    return out


def _bare_number_length(line: str) -> int:
    """Length of the number opening a provision that has no heading words ("七、" of "七、本市推行…；
    …"): the citation names it, the quote starts after it."""
    heading = match_heading(line)
    if heading is None or heading.title or heading.kind in ITEM_KINDS or not line.startswith(heading.label):
        return 0
    return len(heading.label)


class Weights:
    """What a question asks, as weighted terms: its words (IDF) and its character bigrams (IDF).

    Words carry meaning; bigrams catch what word segmentation misses ("规划期" in "规划期为…",
    "自贡綦江" in "自贡綦江“飞地园区”"). Document names are not terms: they choose the documents.
    `nested_term_share`: the weight kept by a word inside a longer word of the question
    (`AnswerSettings.nested_term_share`).
    """

    def __init__(self, question: Question, keyword: KeywordSearch, nested_term_share: float) -> None:
        self.units = question.units  # "亿元" in "多少亿元": asked for, not what the question is about
        asking = default_intents().asking  # "什么时候", "最近": how it asks, not what it asks about
        words = [t for t in tokenize(question.content) if not _COUNT.match(t) and t not in asking]
        self.terms: dict[str, float] = {t: keyword.idf(t) for t in words if keyword.frequency(t)}
        known = sum(self.terms.values()) / len(self.terms) if self.terms else keyword.typical_idf()
        unknown = [word for word in question.unknown if word not in asking]
        for word in unknown:
            # A noun no plan uses weighs like an average word of the question: one such word lowers
            # the score, a question made of them ("周杰伦…演唱会") cannot pass.
            self.terms.setdefault(word, known)
        # An everyday word ("养狗") is one term with the documents' words for it ("养犬") as
        # alternatives, weighing what they weigh: found when any of them is, never counted twice.
        self.alternatives: dict[str, tuple[str, ...]] = {}
        for word, formal in question.content_expansions:
            weights = [keyword.idf(t) for term in formal for t in tokenize(term) if keyword.frequency(t)]
            if weights or word in self.terms:
                self.terms[word] = max(weights) if weights else self.terms[word]
                self.alternatives[word] = formal
        strongest = max(self.terms.values(), default=known)
        for phrase in question.quoted:
            self.terms[phrase] = strongest
        # A search-mode token inside a longer token of the same question counts less (生产 in 生产总值).
        for token in list(self.terms):
            if any(token != other and token in other for other in self.terms):
                self.terms[token] *= nested_term_share
        for year in question.years:  # "到2035年": the year asked about is part of what is asked
            self.terms[f"{year}年"] = strongest
        plain = question.content
        for word in sorted(stopwords() | asking, key=len, reverse=True):
            if len(word) > 1:
                plain = plain.replace(word, " ")
        self.bigrams = {
            gram: keyword.bigram_idf(gram)
            for gram in han_bigrams(plain)
            if not any(char in PARTICLES for char in gram) and keyword.bigram_idf(gram) > 0
        }
        for word in unknown:
            for gram in han_bigrams(word):
                self.bigrams.setdefault(gram, known)
        # the question's whole words (jieba's precise cut): a search-mode piece ("环水" of 循环水) is
        # never its key term
        cut = jieba_module().lcut(question.content)
        self._words = set(cut) | set(self.alternatives) | set(question.quoted)
        self._words |= set(unknown)
        negation = default_intents().negation
        self._negated = {word for before, word in zip(cut, cut[1:]) if before in negation}
        self._word_total = sum(self.terms.values())
        self._bigram_total = sum(self.bigrams.values())

    @property
    def heaviest(self) -> str:
        """The question's word that weighs most (its most specific noun: "总投资", "电子烟"), or ""."""
        words = {
            t: w
            for t, w in self.terms.items()
            if len(t) >= 2  # a lone character ("总" of 总投资) says little on its own
            and t in self._words
            and not self.negated(t)
            and not (t.endswith("年") and t[:-1].isdigit())
            and not any(u in t or t in u for u in self.units)
        }
        return max(words, key=words.__getitem__, default="")

    def negated(self, word: str) -> bool:
        """The question says `word` is absent ("没有资质"): a document says so in its own words
        (擅自开展, 未取得), so an answer need not hold it."""
        return word in self._negated

    def holds_key_term(self, text: str) -> bool:
        """`text` holds the question's key term (`heaviest`), or the formal word for an everyday one
        (synonyms.toml: 养狗 → 养犬), or, for a compound of 3+ characters, a 2-character piece of it
        (停车位 in "停车泊位"): a question insists on its key thing, not on its exact wording."""
        term = self.heaviest
        if not term or _within(term, text):
            return True
        formal = synonyms().get(term, ())
        everyday = [word for word, terms in synonyms().items() if term in terms]
        if any(word in text for word in (*formal, *everyday)):
            return True
        return len(term) >= 3 and any(term[i : i + 2] in text for i in range(len(term) - 1))

    @property
    def empty(self) -> bool:
        """Nothing of the question carries weight (no word or bigram to look for)."""
        return not self._word_total and not self._bigram_total

    def word_coverage(self, text: str) -> float:
        """Share of the question's word weight (no bigrams) that `text` holds (0..1); 1 when it has no words."""
        if not self._word_total:
            return 1.0
        return sum(w for t, w in self.terms.items() if self._holds(t, text)) / self._word_total

    def _holds(self, term: str, text: str) -> bool:
        return _within(term, text) or any(alternative in text for alternative in self.alternatives.get(term, ()))

    def coverage(self, text: str, ignore: frozenset[str] = frozenset()) -> float:
        """Share of the question's weight that `text` holds (0..1): words and bigrams, half each.
        Terms inside an `ignore` word (措施 in "有哪些民生措施") count neither way."""
        shares = []
        for weighted in (self.terms, self.bigrams):
            kept = {t: w for t, w in weighted.items() if not any(t in word for word in ignore)}
            total = sum(kept.values())
            if total:
                shares.append(sum(w for t, w in kept.items() if self._holds(t, text)) / total)
        return sum(shares) / len(shares) if shares else 0.0


def _within(term: str, text: str) -> bool:
    """`term` occurs in `text`; a token with Latin letters (lower-cased: "ipv6") in any case ("IPv6")."""
    return term in text or (term.isascii() and term.lower() in text.lower())


def figures(text: str, years: tuple[str, ...] = ()) -> list[str]:
    """Numbers in `text` other than the given years and other than references ("本条例第九条")."""
    return [m.group() for m in NUMBER.finditer(_REFERENCE.sub("", text)) if m.group() not in years]


def has_unit(text: str, units: tuple[str, ...]) -> bool:
    """A number directly followed by one of `units` ("4200亿元", "28公里"), a counted unit after its
    measure word ("10个工作日")."""
    return any(
        re.search(rf"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万半]+)\s*个?{re.escape(u)}", text) for u in units
    )


def has_date(text: str) -> bool:
    """A date or a time word ("2025年", "3月", "年底", "2021—2025")."""
    return DATE_WORDS.search(text) is not None
