"""Structure, metadata and text coverage on the development corpus of real documents (data/devcorpus,
with its ground truth in manifest.jsonl), and text coverage on the bundled plans.

Coverage, precisely: every line of `Document.text` lies inside some article's span, except the line
the title was read from. The lines `Document.text` leaves out are page chrome, blank lines and figure
captions (removed by cleaning) and the page's header and footer around the document.

The documents are in `data/devcorpus/docs` (the folder a user would ingest); the manifest and the
source texts sit beside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import PLANS, PROJECT

from ingest.clean import CleaningRules
from ingest.loaders import read_text
from ingest.metadata import plan_in_notice_title
from ingest.pipeline import parse_file
from ingest.records import Article, Document
from ingest.text_metadata import document_kind

CORPUS = PROJECT / "data" / "devcorpus"
MANIFEST = CORPUS / "manifest.jsonl"
DOCS = CORPUS / "docs"  # the documents alone, as a user would ingest the folder
ENTRIES = [json.loads(line) for line in MANIFEST.read_text("utf-8").splitlines() if line.strip()]
MAX_TOKENS = 800
DATES = ("date_adopted", "date_approved", "date_effective")
_CN = "零〇一二三四五六七八九十百千两"
# A 第X条/章/节 heading at a line start, as the manifest counts them (Markdown marks and spaces allowed).
_AT_LINE_START = r"^[#\s]*第\s*([{cn}\d]{{1,5}})\s*{unit}"

ids = [entry["file"] for entry in ENTRIES]


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


_parsed: dict[str, tuple[Document, list[Article]]] = {}


def parsed(path: Path, rules: CleaningRules) -> tuple[Document, list[Article]]:
    if str(path) not in _parsed:
        _parsed[str(path)] = parse_file(path, rules, MAX_TOKENS)
    return _parsed[str(path)]


def uncovered_lines(document: Document, articles: list[Article]) -> list[str]:
    """Lines of the document text outside every article, the title line excepted."""
    covered = [False] * len(document.text)
    for article in articles:
        covered[article.start : article.end] = [True] * (article.end - article.start)
    missing, position = [], 0
    for line in document.text.split("\n"):
        if (
            line
            and not all(covered[position : position + len(line)])
            and line not in (document.title, f"# {document.title}")
        ):
            missing.append(line)
        position += len(line) + 1
    return missing


@pytest.mark.parametrize("plan", sorted(p.name for p in PLANS.glob("*.txt")))
def test_the_articles_of_a_bundled_plan_cover_its_whole_text(rules, plan: str) -> None:
    assert uncovered_lines(*parsed(PLANS / plan, rules)) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_the_articles_cover_the_whole_text(rules, entry: dict) -> None:
    assert uncovered_lines(*parsed(DOCS / entry["file"], rules)) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_every_sentence_of_the_source_survives(rules, entry: dict) -> None:
    """Every line of the file's text with a full stop (a sentence of the document) is in Document.text."""
    document, _ = parsed(DOCS / entry["file"], rules)
    squeezed = re.sub(r"\s+", "", document.text)
    raw = read_text(DOCS / entry["file"])
    lost = [line for line in raw.split("\n") if "。" in line and re.sub(r"\s+", "", line).lstrip("#") not in squeezed]
    assert lost == []


def heading_count(text: str, unit: str) -> int:
    pattern = re.compile(_AT_LINE_START.format(cn=_CN, unit=unit), re.M)
    return len({m.group(1) for m in pattern.finditer(text)})


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_each_article_marker_is_one_article(rules, entry: dict) -> None:
    """第X条 articles = the manifest's count; parts of a split article share one clause_ref."""
    _, articles = parsed(DOCS / entry["file"], rules)
    tiao = {
        (a.chapter.split(" ")[0] if a.chapter.startswith("附件") else "", a.clause_ref)
        for a in articles
        if re.fullmatch(r"第.{1,6}条", a.section)
    }
    assert len(tiao) == entry["articles"]


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_items_stay_inside_their_article(rules, entry: dict) -> None:
    _, articles = parsed(DOCS / entry["file"], rules)
    if entry["articles"]:
        assert not [a.clause_ref for a in articles if a.clause_ref.startswith(("（", "("))]


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_chapters_and_sections_are_the_manifests(rules, entry: dict) -> None:
    """Distinct 第X章 headings and distinct 第X节 headings (a 节 with its words: 第一节 restarts per 章)."""
    _, articles = parsed(DOCS / entry["file"], rules)
    groups = [a.chapter for a in articles if a.role == "article"]
    chapters = {m.group(1) for chapter in groups for m in re.finditer(r"(第[^ ]{1,4}章)(?: |$)", chapter)}
    sections = {m.group() for chapter in groups for m in re.finditer(r"第[^ ]{1,4}节(?: [^ ]+)?", chapter)}
    assert (len(chapters), len(sections)) == (entry["chapters"], entry["sections"])


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_the_title_is_the_documents(rules, entry: dict) -> None:
    """The manifest names an issuing notice's own title; PlanQA titles a notice that issues a document
    with that document's title (DESIGN.md: 《推动川南渝西地区融合发展总体方案》), so both are accepted."""
    document, _ = parsed(DOCS / entry["file"], rules)
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    assert squeeze(document.title) in {squeeze(entry["title"]), squeeze(plan_in_notice_title(entry["title"]))}


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_kind_issuer_and_number_are_the_manifests(rules, entry: dict) -> None:
    document, _ = parsed(DOCS / entry["file"], rules)
    assert (document.issuer, document.doc_number) == (entry["issuer"], entry["doc_number"])
    # A notice issuing a document ("国务院关于印发…暂行办法的通知") is titled, and so kinded, by that
    # document; the manifest kinds some of those notices by the document (方案) and some as 通知.
    assert document.kind in (entry["kind"], document_kind(plan_in_notice_title(entry["title"])))


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_dates_are_the_manifests(rules, entry: dict) -> None:
    """通过, 批准, 施行 as stated; 公布/印发: the text's statement, else its 落款 (which PlanQA stores as
    date_written, the page's 发布时间 going to date_published)."""
    document, _ = parsed(DOCS / entry["file"], rules)
    assert {d: getattr(document, d) for d in DATES} == {d: entry[d] for d in DATES}
    if entry["date_published"]:
        assert entry["date_published"] in (document.date_published, document.date_written)
