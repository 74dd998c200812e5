"""The eval metrics on hand-made cases whose right values are known (real plan sentences as text)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import make_settings
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from eval.dataset import Gold, Item
from eval.judge import Judge, JudgeError, correctness_score, faithfulness_score, parse_reply
from eval.metrics import (
    aggregate,
    citation_precision,
    citation_recall,
    first_match_rank,
    groundedness,
    hit_at,
    key_facts_present,
    matches,
    percentile,
    recall_at,
    reciprocal_rank,
    score,
    summarise,
    verdict,
)
from eval.peers import baseline_answer
from eval.responses import Cited, Response, Retrieved, from_answer
from eval.text import contains, normalise
from rag.answer.verify import claims

DISTANCE = "两市中心城区直线距离仅28公里，是全省地级市中心城区距离最近的两个城市。"
GDP = "到2025年，两市经济实力大幅提升，地区生产总值突破4200亿元。"
AREA = "綦江区（含万盛经济技术开发区）、大足区、铜梁区、荣昌区，总面积4.66万平方公里。"
OTHER = "推进区域大气污染联防联控联治，强化多污染物协同控制，基本消除重污染天气。"
GOLD_DISTANCE = Gold("内江自贡同城化发展总体方案", "二、（一）", "两市中心城区直线距离仅28公里")
GOLD_GDP = Gold("内江自贡同城化发展总体方案", "三、（三）", "地区生产总值突破4200亿元")
THRESHOLD = 0.5


def item(kind: str = "fact", gold: tuple[Gold, ...] = (GOLD_DISTANCE,), facts: tuple[str, ...] = ("28公里",)) -> Item:
    return Item(
        "t1",
        "内江和自贡离得有多远？",
        kind,
        "28公里",
        facts if kind != "unanswerable" else (),
        gold if kind != "unanswerable" else (),
    )


def response(
    answer: str,
    refused: bool = False,
    cited: tuple[Cited, ...] = (),
    retrieved: tuple[str, ...] = (),
    latency: float = 10.0,
) -> Response:
    return Response("t1", answer, refused, cited, tuple(Retrieved(t) for t in retrieved), latency)


# -- text matching --------------------------------------------------------------------------------
def test_matching_ignores_white_space_and_full_width_forms():
    assert normalise("两市 中心城区\n直线距离，ＡＢ") == "两市中心城区直线距离,AB"
    assert contains("两市中心城区直线距离仅28公里,是全省", "直线距离仅 28 公里，是")


def test_an_empty_span_is_never_contained():
    assert not contains(DISTANCE, "  ")


def test_a_chunk_matches_a_gold_entry_only_when_it_holds_the_whole_quote():
    assert matches(DISTANCE, GOLD_DISTANCE)
    assert not matches("两市中心城区直线距离仅28", GOLD_DISTANCE)


# -- retrieval ------------------------------------------------------------------------------------
def test_first_match_rank_is_one_based():
    assert first_match_rank([OTHER, AREA, DISTANCE], [GOLD_DISTANCE]) == 3
    assert first_match_rank([OTHER], [GOLD_DISTANCE]) is None


def test_hit_at_k_looks_only_at_the_top_k():
    ranked = [OTHER, DISTANCE]
    assert hit_at(ranked, [GOLD_DISTANCE], 1) == 0.0
    assert hit_at(ranked, [GOLD_DISTANCE], 5) == 1.0


def test_reciprocal_rank_of_third_chunk_is_one_third_and_zero_when_missing():
    assert reciprocal_rank([OTHER, AREA, DISTANCE], [GOLD_DISTANCE]) == pytest.approx(1 / 3)
    assert reciprocal_rank([OTHER, AREA], [GOLD_DISTANCE]) == 0.0


def test_recall_at_5_counts_gold_entries_found_in_the_top_five():
    ranked = [DISTANCE, OTHER, OTHER, OTHER, OTHER, GDP]  # GDP only at rank 6
    assert recall_at(ranked, [GOLD_DISTANCE, GOLD_GDP], 5) == 0.5
    assert recall_at(ranked, [GOLD_DISTANCE, GOLD_GDP], 6) == 1.0


def test_one_chunk_holding_both_quotes_recalls_both():
    assert recall_at([DISTANCE + GDP], [GOLD_DISTANCE, GOLD_GDP], 5) == 1.0


def test_retrieval_metrics_are_undefined_without_gold():
    assert hit_at([DISTANCE], [], 1) is None
    assert reciprocal_rank([DISTANCE], []) is None
    assert recall_at([DISTANCE], [], 5) is None


def test_nothing_retrieved_scores_zero():
    assert hit_at([], [GOLD_DISTANCE], 5) == 0.0
    assert reciprocal_rank([], [GOLD_DISTANCE]) == 0.0


# -- citations ------------------------------------------------------------------------------------
def test_citation_precision_is_the_share_of_citations_matching_gold():
    assert citation_precision([DISTANCE, OTHER], [GOLD_DISTANCE]) == 0.5
    assert citation_precision([DISTANCE, GDP], [GOLD_DISTANCE, GOLD_GDP]) == 1.0


def test_citation_precision_is_undefined_without_citations_or_gold():
    assert citation_precision([], [GOLD_DISTANCE]) is None
    assert citation_precision([DISTANCE], []) is None


def test_citation_recall_is_the_share_of_gold_entries_cited():
    assert citation_recall([DISTANCE, OTHER], [GOLD_DISTANCE, GOLD_GDP]) == 0.5
    assert citation_recall([], [GOLD_DISTANCE]) == 0.0
    assert citation_recall([DISTANCE], []) is None


# -- answers --------------------------------------------------------------------------------------
def test_key_facts_need_all_facts_in_the_answer():
    assert key_facts_present("两市相距28 公里，GDP突破4200亿元", ["28公里", "4200亿元"]) == 1.0
    assert key_facts_present("两市相距28公里", ["28公里", "4200亿元"]) == 0.0
    assert key_facts_present("两市相距28公里", []) is None


def test_groundedness_counts_claims_their_cited_text_supports():
    cited = (Cited(1, DISTANCE), Cited(2, OTHER))
    answer = f"{DISTANCE}[1]\n{GDP}[2]"  # the second claim cites the wrong clause
    assert groundedness(answer, cited, THRESHOLD) == 0.5


def test_groundedness_ignores_source_labels_and_connector_lines():
    answer = f"《内江自贡同城化发展总体方案》二、（一）空间相近人文相亲：{DISTANCE}[1]\n依次为："
    assert groundedness(answer, (Cited(1, DISTANCE),), THRESHOLD) == 1.0


def test_a_claim_without_marker_or_citing_a_related_only_source_is_unsupported():
    assert groundedness(DISTANCE, (Cited(1, DISTANCE),), THRESHOLD) == 0.0
    assert groundedness(f"{DISTANCE}[1]", (Cited(1, DISTANCE, related_only=True),), THRESHOLD) == 0.0
    assert groundedness(f"{DISTANCE}[3]", (Cited(1, DISTANCE),), THRESHOLD) == 0.0


def test_groundedness_is_undefined_for_an_answer_without_claims():
    assert groundedness("", (), THRESHOLD) is None


def test_a_claim_with_a_changed_figure_is_unsupported_as_the_app_marks_it():
    changed = DISTANCE.replace("28", "82")  # every bigram but the figure's is in the cited text
    assert groundedness(f"{changed}[1]", (Cited(1, DISTANCE),), THRESHOLD) == 0.0
    assert groundedness(f"{DISTANCE}[1]\n{changed}[1]", (Cited(1, DISTANCE),), THRESHOLD) == 0.5


def test_groundedness_is_the_share_of_claims_the_app_leaves_unmarked(planqa):
    questions = ["内江和自贡离得有多远？", "到2025年内江自贡地区生产总值目标是多少？", "川南渝西融合发展的目标是什么？"]
    threshold = planqa.settings.answer.support_threshold
    for question in questions:
        answer = planqa.ask(question)
        response = from_answer("q", answer)
        found = claims(answer.text)
        expected = 1 - len(answer.unsupported) / len(found) if found else None
        assert groundedness(response.answer, response.support, threshold) == expected, question


def test_percentiles_interpolate_like_numpy():
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 95) == pytest.approx(38.5)
    assert percentile([], 50) is None


# -- one question ---------------------------------------------------------------------------------
def test_a_correct_cited_answer_scores_full_marks():
    scores = score(
        item(), response(f"{DISTANCE}[1]", cited=(Cited(1, DISTANCE),), retrieved=(DISTANCE, OTHER)), THRESHOLD
    )
    assert scores == {
        "hit@1": 1.0, "hit@5": 1.0, "mrr": 1.0, "recall@5": 1.0,
        "citation_precision": 1.0, "citation_recall": 1.0, "key_fact_accuracy": 1.0,
        "refusal_accuracy": None, "false_refusal_rate": 0.0, "groundedness": 1.0,
        "coverage_flag_recall": None, "coverage_false_flag": None,  # the response says nothing of coverage
    }  # fmt: skip


# -- saying an answer is partial ------------------------------------------------------------------
NOTE = "（只回答了部分问题：没有找到关于“28公里”的内容。）"


def test_an_answer_missing_a_key_fact_counts_for_flag_recall_when_it_says_it_is_partial():
    said = replace(response(f"{OTHER}[1]\n{NOTE}", cited=(Cited(1, OTHER),)), coverage="partial")
    silent = replace(said, answer=f"{OTHER}[1]", coverage="full")
    assert (
        score(item(), said, THRESHOLD)["coverage_flag_recall"],
        score(item(), silent, THRESHOLD)["coverage_flag_recall"],
    ) == (1.0, 0.0)
    assert score(item(), said, THRESHOLD)["coverage_false_flag"] is None


def test_an_answer_holding_every_key_fact_said_to_be_partial_is_a_false_flag():
    said = replace(response(f"{DISTANCE}[1]", cited=(Cited(1, DISTANCE),)), coverage="partial")
    scores = score(item(), said, THRESHOLD)
    assert (scores["coverage_false_flag"], scores["coverage_flag_recall"]) == (1.0, None)
    assert score(item(), replace(said, coverage="full"), THRESHOLD)["coverage_false_flag"] == 0.0


def test_the_partial_note_does_not_state_a_key_fact_it_names():
    said = replace(response(f"{OTHER}[1]\n{NOTE}", cited=(Cited(1, OTHER),)), coverage="partial")
    assert contains(said.answer, "28公里")
    assert score(item(), said, THRESHOLD)["key_fact_accuracy"] == 0.0
    assert score(item(), said, THRESHOLD)["groundedness"] == 1.0  # the note is no claim


def test_coverage_is_not_scored_for_refusals_nor_for_systems_that_do_not_report_it():
    refusal = replace(response("文件中未找到相关内容。", refused=True), coverage="none")
    baseline = response(f"{OTHER}[1]", cited=(Cited(1, OTHER),))
    for answered in (refusal, baseline):
        scores = score(item(), answered, THRESHOLD)
        assert (scores["coverage_flag_recall"], scores["coverage_false_flag"]) == (None, None)


def test_from_answer_carries_the_coverage_planqa_reports(planqa):
    answer = planqa.ask("内江和自贡相距多远")
    assert from_answer("e1", answer).coverage == "full"


def test_refusing_an_answerable_question_is_a_false_refusal_and_its_related_sources_do_not_count():
    refusal = response(
        "文件中未找到相关内容。可能相关的条款：…",
        refused=True,
        cited=(Cited(1, DISTANCE, related_only=True),),
        retrieved=(OTHER, DISTANCE),
    )
    scores = score(item(), refusal, THRESHOLD)
    assert scores["false_refusal_rate"] == 1.0
    assert scores["citation_precision"] is None
    assert scores["citation_recall"] == 0.0
    assert scores["key_fact_accuracy"] == 0.0
    assert scores["groundedness"] is None
    assert scores["mrr"] == 0.5  # retrieval is scored whatever the answer did


def test_refusing_an_unanswerable_question_is_right_and_has_no_other_scores():
    scores = score(
        item("unanswerable"), response("文件中未找到相关内容。", refused=True, retrieved=(OTHER,)), THRESHOLD
    )
    assert scores["refusal_accuracy"] == 1.0
    assert {name for name, value in scores.items() if value is not None} == {"refusal_accuracy"}


def test_answering_an_unanswerable_question_fails_refusal_but_is_still_checked_for_grounding():
    scores = score(item("unanswerable"), response(f"{OTHER}[1]", cited=(Cited(1, OTHER),)), THRESHOLD)
    assert scores["refusal_accuracy"] == 0.0
    assert scores["groundedness"] == 1.0


# -- aggregates -----------------------------------------------------------------------------------
def test_aggregates_average_only_the_questions_a_metric_applies_to():
    scores = [
        {"hit@1": 1.0, "refusal_accuracy": None},
        {"hit@1": 0.0, "refusal_accuracy": None},
        {"hit@1": None, "refusal_accuracy": 1.0},
    ]
    summary = aggregate(scores, [10.0, 20.0, 30.0])
    assert summary["hit@1"] == 0.5
    assert summary["refusal_accuracy"] == 1.0
    assert summary["citation_recall"] is None
    assert summary["latency_p50_ms"] == 20.0


def test_summary_has_overall_by_type_and_counts():
    items = [item(), item("unanswerable")]
    responses = [
        response(f"{DISTANCE}[1]", cited=(Cited(1, DISTANCE),), retrieved=(DISTANCE,), latency=10.0),
        response("文件中未找到相关内容。", refused=True, latency=30.0),
    ]
    summary = summarise(items, responses, [score(i, r, THRESHOLD) for i, r in zip(items, responses)])
    assert summary["items"] == {"overall": 2, "by_type": {"fact": 1, "unanswerable": 1}}
    assert summary["overall"]["refusal_accuracy"] == 1.0
    assert summary["overall"]["hit@1"] == 1.0
    assert summary["overall"]["latency_p50_ms"] == 20.0
    assert summary["by_type"]["unanswerable"]["hit@1"] is None
    assert summary["by_type"]["fact"]["latency_p95_ms"] == 10.0


def test_verdicts_read_lower_is_better_metrics_the_other_way():
    assert verdict("hit@1", 1.0) == "pass"
    assert verdict("recall@5", 0.5) == "partial"
    assert verdict("false_refusal_rate", 1.0) == "fail"
    assert verdict("false_refusal_rate", 0.0) == "pass"
    assert verdict("citation_precision", None) is None


# -- the baselines' answer ------------------------------------------------------------------------
def test_baseline_answer_quotes_the_top_chunks_sentence_with_most_question_terms():
    top = Retrieved(f"{GDP}{DISTANCE}", "内江自贡同城化发展总体方案", "二、（一）")
    text, cited = baseline_answer("内江和自贡中心城区直线距离有多远？", top)
    assert text == f"{DISTANCE}[1]"
    assert cited == (
        Cited(1, top.text, DISTANCE, top.doc_title, "二、（一）", "《内江自贡同城化发展总体方案》二、（一）"),
    )


def test_baseline_answer_takes_the_first_sentence_on_a_tie_and_nothing_without_a_chunk():
    text, _ = baseline_answer("周杰伦演唱会", Retrieved(f"{GDP}{DISTANCE}"))
    assert text == f"{GDP}[1]"
    assert baseline_answer("内江和自贡离得有多远？", None) == ("", ())


# -- the optional LLM judge (a fake chat model stands in for the remote endpoint) -------------------
def test_judge_replies_are_read_from_code_fences():
    assert parse_reply('```json\n{"TP": ["a"], "FP": [], "FN": []}\n```') == {"TP": ["a"], "FP": [], "FN": []}
    with pytest.raises(JudgeError, match="holds no JSON object"):
        parse_reply("无法判断")


def test_faithfulness_is_the_share_of_statements_the_context_supports():
    assert faithfulness_score({"statements": [{"verdict": 1}, {"verdict": 0}, {"verdict": 1}, {"verdict": 1}]}) == 0.75
    assert faithfulness_score({"statements": []}) is None


def test_answer_correctness_is_the_f1_of_statements():
    assert correctness_score({"TP": ["a", "b"], "FP": ["c"], "FN": ["d", "e", "f"]}) == pytest.approx(2 / (2 + 2))
    assert correctness_score({"TP": [], "FP": [], "FN": []}) is None


def test_judge_asks_the_model_with_the_eval_prompts(tmp_path):
    model = FakeListChatModel(
        responses=[
            '{"TP": ["相距28公里"], "FP": [], "FN": []}',
            '{"statements": [{"statement": "相距28公里", "verdict": 1}]}',
        ]
    )
    judge = Judge(make_settings(tmp_path), chat_model=model)
    answered = response(f"{DISTANCE}[1]", cited=(Cited(1, DISTANCE, label="《内江自贡同城化发展总体方案》二、（一）"),))
    result = judge.judge_all([item()], [answered])
    assert result["overall"] == {"answer_correctness": 1.0, "faithfulness": 1.0}
    assert result["by_id"] == {"t1": {"answer_correctness": 1.0, "faithfulness": 1.0}}


def test_judge_skips_refusals_and_unanswerable_items_without_asking(tmp_path):
    judge = Judge(make_settings(tmp_path), chat_model=FakeListChatModel(responses=[]))
    result = judge.judge_all([item("unanswerable")], [response("文件中未找到相关内容。", refused=True)])
    assert result["by_id"] == {"t1": {"answer_correctness": None, "faithfulness": None}}
