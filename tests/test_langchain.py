"""PlanQA in LangChain: the retriever passes the standard retriever tests; the answer chain is a Runnable."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag import Answer, PlanQARetriever


class TestPlanQARetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, built_home, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PLANQA_HOME", str(built_home))  # default settings open the built index

    @property
    def retriever_constructor(self) -> type[PlanQARetriever]:
        return PlanQARetriever

    @property
    def retriever_query_example(self) -> str:
        return "川南渝西融合发展的目标"


def test_documents_carry_the_chunk_fields(built_home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_HOME", str(built_home))
    document = PlanQARetriever(k=1).invoke("内江和自贡离得有多远？")[0]
    assert document.metadata["clause_ref"] == "二、（一）"
    assert document.metadata["doc_title"] == "内江自贡同城化发展总体方案"
    assert {"section", "chunk_id", "start", "end", "tokens", "score"} <= set(document.metadata)
    assert "28公里" in document.page_content


def test_the_document_filter_is_a_call_argument(built_home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_HOME", str(built_home))
    documents = PlanQARetriever().invoke("页岩气", k=4, doc="川南渝西")
    assert len(documents) == 4
    assert {d.metadata["doc_title"] for d in documents} == {"推动川南渝西地区融合发展总体方案"}


def test_the_chain_invokes_batches_and_streams(planqa) -> None:
    chain = planqa.as_runnable()
    answer = chain.invoke({"question": "内江和自贡离得有多远？"})
    assert isinstance(answer, Answer) and "28公里" in answer.text
    assert [a.refused for a in chain.batch(["内江和自贡离得有多远？", "周杰伦什么时候来内江开演唱会？"])] == [
        False,
        True,
    ]
    pieces = list(chain.stream("内江和自贡离得有多远？"))
    assert isinstance(pieces[-1], Answer)
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].text


def test_the_chain_composes_with_other_runnables(planqa) -> None:
    from langchain_core.runnables import RunnableLambda

    chain = planqa.as_runnable() | RunnableLambda(lambda answer: [c.article.clause_ref for c in answer.citations])
    assert chain.invoke("内江和自贡离得有多远？") == ["二、（一）"]
