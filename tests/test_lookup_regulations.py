"""Direct lookups on documents that are not bundled (data/devcorpus): the metadata of 条例, laws, 令
and 意见 — 施行, 通过, 批准, 令号, 落款 — and clause references 第X条第Y款第（Z）项, answered from an
in-memory catalogue of the parsed files (no embeddings needed: lookups do not search)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file
from rag.answer.evidence import Weights
from rag.answer.lookups import clause_answer, metadata_answer
from rag.answer.verify import unsupported_claims
from rag.query.clauses import ClauseQuery, parse_clause_query
from rag.query.names import DocumentNames
from rag.query.reader import MetadataField, QuestionReader
from rag.records import REFUSAL, Draft
from rag.search.keyword import KeywordSearch
from rag.settings import Settings
from rag.store.catalogue import Catalogue, index_text

DOCS = Path(__file__).resolve().parent.parent / "data" / "devcorpus" / "docs"
FILES = [
    "weihai-parking-tiaoli-2021.md",
    "zhengzhou-dog-tiaoli-2021.md",
    "local-chronicles-tiaoli-2006.txt",
    "patent-agency-tiaoli-2018.html",
    "gov-new-media-yijian-2018.html",
    "family-education-law-2021.md",
    "gov-zero-waste-city-fangan-2018.txt",
]
WEIHAI = "威海市停车管理和服务条例"
ZHENGZHOU = "郑州市城市养犬管理条例"
CHRONICLES = "地方志工作条例"
PATENT = "专利代理条例"
NEW_MEDIA = "国务院办公厅关于推进政务新媒体健康有序发展的意见"
FAMILY = "中华人民共和国家庭教育促进法"
ZERO_WASTE = "“无废城市”建设试点工作方案"


@pytest.fixture(scope="module")
def library() -> tuple[Catalogue, QuestionReader, Settings]:
    settings = Settings(_env_file=None)
    rules = CleaningRules.load()
    documents, articles = [], []
    for name in FILES:
        document, parsed = parse_file(DOCS / name, rules, settings.ingest.max_chunk_tokens)
        documents.append(document)
        articles += parsed
    keyword = KeywordSearch([index_text(a) for a in articles], settings.retrieval.tokenizer)
    catalogue = Catalogue(0, articles, documents, keyword, np.zeros((1, 4), dtype=np.float32))
    names = DocumentNames(documents, {}, settings.query)
    corpus = "\n".join(d.title + "\n" + d.text for d in documents)
    return (
        catalogue,
        QuestionReader(names, keyword, corpus, settings.retrieval.tokenizer, settings=settings.query),
        settings,
    )


def ask(library, question: str) -> Draft:
    catalogue, reader, settings = library
    parsed = reader.read(question)
    answer = settings.answer
    found = metadata_answer(parsed, catalogue, answer) or clause_answer(
        parsed, catalogue, Weights(parsed, catalogue.keyword, answer.nested_term_share), answer
    )
    assert found is not None, question
    draft = found[0]
    if not draft.refused:
        assert unsupported_claims(draft.text, draft.citations, answer.support_threshold) == []
    return draft


def cited(draft: Draft) -> list[tuple[str, str]]:
    return [(c.article.doc_title, c.article.clause_ref) for c in draft.citations]


# -- reading the question ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "fields"),
    [
        (f"《{WEIHAI}》是哪天开始施行的？", (MetadataField.DATE_EFFECTIVE,)),
        (f"《{WEIHAI}》由哪个机关批准？", (MetadataField.DATE_APPROVED,)),
        (f"《{FAMILY}》是全国人大常委会哪次会议通过的？", (MetadataField.DATE_ADOPTED,)),
        (f"《{PATENT}》是国务院第几号令公布的？", (MetadataField.DOC_NUMBER,)),
        (f"《{PATENT}》是哪次会议通过的，何时施行？", (MetadataField.DATE_ADOPTED, MetadataField.DATE_EFFECTIVE)),
        (f"《{NEW_MEDIA}》的文号和发文机关是什么？", (MetadataField.DOC_NUMBER, MetadataField.ISSUER)),
    ],
)
def test_metadata_asks_are_read_in_the_order_asked(library, question: str, fields) -> None:
    assert library[1].read(question).metadata_fields == fields


@pytest.mark.parametrize(
    "question",
    [f"《{WEIHAI}》施行后哪些区域不得施划道路停车泊位？", f"《{ZERO_WASTE}》试点地区什么时候要报实施方案？"],
)
def test_a_question_about_the_text_is_not_a_metadata_question(library, question: str) -> None:
    assert library[1].read(question).metadata_fields == ()


# -- metadata ---------------------------------------------------------------------------------------
def test_the_effective_date_is_cited_from_the_article_that_sets_it(library) -> None:
    draft = ask(library, f"《{WEIHAI}》是哪天开始施行的？")
    assert draft.text.startswith(f"《{WEIHAI}》的施行日期：2022年1月1日[1]")
    assert cited(draft) == [(WEIHAI, "第四十五条")]
    assert draft.citations[0].quote == "第四十五条本条例自2022年1月1日起施行。"


def test_effective_on_publication_cites_the_article_and_the_publication_line(library) -> None:
    draft = ask(library, f"《{CHRONICLES}》从什么时候施行？")
    assert "本条例自公布之日起施行。" in draft.text and "2006年5月18日" in draft.text
    assert cited(draft) == [(CHRONICLES, "第二十二条"), (CHRONICLES, "题注")]


def test_the_approving_body_is_quoted_from_the_title_note(library) -> None:
    draft = ask(library, f"《{WEIHAI}》由哪个机关批准？")
    assert "2021年12月3日经山东省第十三届人民代表大会常务委员会第三十二次会议批准[1]" in draft.text
    assert cited(draft) == [(WEIHAI, "题注")]


def test_every_approval_line_of_an_amended_regulation_is_quoted(library) -> None:
    draft = ask(library, f"《{ZHENGZHOU}》最近一次修正是哪次会议批准的？")
    assert "2007年8月3日河南省第十届人民代表大会常务委员会第三十二次会议批准" in draft.text
    assert "2021年11月27日河南省第十三届人民代表大会常务委员会第二十八次会议批准" in draft.text


def test_the_adopting_meeting_is_quoted(library) -> None:
    draft = ask(library, f"《{FAMILY}》是全国人大常委会哪次会议通过的？")
    assert "2021年10月23日第十三届全国人民代表大会常务委员会第三十一次会议通过[1]" in draft.text
    assert cited(draft) == [(FAMILY, "题注")]


def test_an_order_number_split_over_two_lines_is_cited(library) -> None:
    draft = ask(library, f"《{PATENT}》是国务院第几号令公布的？")
    assert draft.text == f"《{PATENT}》的发文字号：中华人民共和国国务院令第706号[1]"
    assert draft.citations[0].quote == "中华人民共和国国务院令\n第706号"


def test_two_asks_are_answered_each_from_its_own_line(library) -> None:
    draft = ask(library, f"《{PATENT}》是哪次会议通过的，何时施行？")
    assert "国务院第23次常务会议" in draft.text and "2019年3月1日" in draft.text
    assert (PATENT, "第三十二条") in cited(draft)


def test_an_opinions_issuer_and_date_come_from_its_signature(library) -> None:
    draft = ask(library, f"《{NEW_MEDIA}》是谁发的，哪天发的？")
    assert draft.text == f"《{NEW_MEDIA}》的发布单位：国务院办公厅[1]\n《{NEW_MEDIA}》的成文日期：2018年12月7日[1]"
    assert draft.citations[0].quotes == ["国务院办公厅", "2018年12月7日"]  # each line the answer rests on


def test_a_date_the_document_does_not_state_is_said_to_be_missing(library) -> None:
    draft = ask(library, f"《{ZERO_WASTE}》从哪天开始施行？")
    assert draft.refused
    assert f"《{ZERO_WASTE}》未载明施行日期" in draft.text


# -- clause references ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("停车条例第十五条是怎么规定的", ClauseQuery(unit=15, article=True)),
        ("第十五条第二款", ClauseQuery(unit=15, paragraph=2, article=True)),
        ("第九十六条第（三）项", ClauseQuery(unit=96, point=3, article=True)),
        ("第九十六条（三）", ClauseQuery(unit=96, point=3, article=True)),
        ("第十八条第一款第（五）项", ClauseQuery(unit=18, paragraph=1, point=5, article=True)),
        ("第一百万条", ClauseQuery(unit=0, article=True)),
        ("第-1条", ClauseQuery(unit=0, article=True)),
    ],
)
def test_article_references_are_parsed(question: str, expected: ClauseQuery) -> None:
    assert parse_clause_query(question) == expected


def test_a_second_paragraph_is_quoted_with_its_items(library) -> None:
    draft = ask(library, f"《{WEIHAI}》第十五条第二款规定哪些地方不能施划道路停车泊位？")
    assert draft.text == (
        f"《{WEIHAI}》第十五条：除遵守法律、法规和规章规定外，下列区域、路段也不得施划道路停车泊位：[1]"
        "（一）距离已建成能够提供充足车位的公共停车场三百米以内的区域；[1]"
        "（二）学校和幼儿园出入口、公共交通站点以及距离上述地点三十米以内的区域。[1]"
    )


def test_an_item_cited_alone_reads_article_and_item(library) -> None:
    draft = ask(library, f"《{ZHENGZHOU}》第十条（二）")
    assert cited(draft) == [(ZHENGZHOU, "第十条（二）")]
    assert draft.citations[0].quote == "（二）有固定住所且独户居住；"


def test_an_item_of_a_paragraph_quotes_that_item(library) -> None:
    draft = ask(library, f"《{ZHENGZHOU}》第十八条第一款第（五）项规定了什么？")
    assert draft.citations[0].quote == "（五）乘坐电梯时应当采取怀抱或者为犬只戴嘴套等措施；"


def test_a_short_article_is_quoted_whole_with_its_clause_ref(library) -> None:
    draft = ask(library, f"《{CHRONICLES}》第二十条讲了什么？")
    assert cited(draft) == [(CHRONICLES, "第二十条")]
    assert draft.text.endswith("由其所在单位责令改正，依法给予处分。[1]")


def test_an_article_of_one_document_is_not_answered_from_a_plans_section(library) -> None:
    draft = ask(library, f"《{WEIHAI}》第二十条讲了什么？")
    assert {title for title, _ in cited(draft)} == {WEIHAI}


def test_an_article_named_by_its_words_is_answered_from_that_document_only(library) -> None:
    draft = ask(library, "第二十条关于父母分居或者离异后的家庭教育责任怎么规定？")
    assert cited(draft) == [(FAMILY, "第二十条")]


def test_with_nothing_to_choose_by_each_document_is_answered_and_the_user_asked(library) -> None:
    draft = ask(library, "第二十条讲了什么")
    assert draft.text.startswith("多份文件都有此条款，请指明文件")
    assert all(ref == "第二十条" for _, ref in cited(draft))  # never a plan's （二十）


@pytest.mark.parametrize(
    "question",
    [
        f"《{WEIHAI}》第一百万条",
        f"《{WEIHAI}》第-1条讲了什么",
        f"《{WEIHAI}》第四十六条讲了什么",
        f"《{WEIHAI}》第十五条第五款",
        "第一百万条讲了什么",
    ],
)
def test_impossible_references_are_refused(library, question: str) -> None:
    draft = ask(library, question)
    assert draft.refused and draft.text.startswith(REFUSAL)
    assert draft.citations == []
