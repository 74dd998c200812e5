"""The regression gate: PlanQA on the bundled dev set clears every bar of eval/gate.toml (one test per
bar, named for its metric), and how bars are read and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_dataset
from eval.gate import Bar, GateError, Outcome, check, load_gate, make_bar, parse_bar
from eval.runner import Run, answer_all, evaluate

PROJECT = Path(__file__).resolve().parent.parent
GATE = PROJECT / "eval" / "gate.toml"
DEV_SET = PROJECT / "eval" / "qa.jsonl"


@pytest.fixture(scope="module")
def dev_run(planqa) -> Run:
    """PlanQA (default settings, the session's index) on eval/qa.jsonl, answered once for all bars."""
    items = load_dataset(DEV_SET)
    return evaluate("planqa", items, answer_all(planqa, items), planqa.settings.answer.support_threshold)


@pytest.mark.parametrize("bar", load_gate(GATE), ids=lambda bar: f"{bar.op}-{bar.metric}")
def test_dev_set_clears_its_bar(dev_run, bar):
    (outcome,) = check([bar], dev_run.summary["overall"])
    assert outcome.ok, f"gate failed on {DEV_SET.name}: {outcome.message}"


def test_gate_file_bars_a_retrieval_a_citation_an_answer_and_a_refusal_metric():
    gated = {bar.metric for bar in load_gate(GATE)}
    assert {"hit@1", "citation_precision", "key_fact_accuracy", "refusal_accuracy", "false_refusal_rate"} <= gated


# -- reading and checking bars --------------------------------------------------------------------
def test_a_command_line_bar_is_metric_equals_number():
    assert parse_bar("hit@1=0.85") == Bar("hit@1", "min", 0.85)
    assert parse_bar("false_refusal_rate=0.05", "max") == Bar("false_refusal_rate", "max", 0.05)


@pytest.mark.parametrize(
    ("text", "op", "message"),
    [
        ("hit@1", "min", "'hit@1': expected metric=value, e.g. hit@1=0.85"),
        ("hit@1=high", "min", "'hit@1=high': 'high' is not a number"),
        ("recall@10=0.9", "min", "unknown metric 'recall@10' (known: hit@1, hit@5, mrr, recall@5,"),
        ("false_refusal_rate=0.1", "min", "false_refusal_rate: lower is better, so gate it with --fail-over (a [max] bar)"),
        ("hit@1=0.9", "max", "hit@1: higher is better, so gate it with --fail-under (a [min] bar)"),
    ],
)
def test_bad_bars_are_rejected_with_a_message(text, op, message):
    with pytest.raises(GateError) as raised:
        parse_bar(text, op)
    assert str(raised.value).startswith(message)


def test_a_gate_file_with_an_unknown_table_is_rejected(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[minimum]\n"hit@1" = 0.8\n', encoding="utf-8")
    with pytest.raises(GateError, match=r"unknown table\(s\) minimum \(use \[min\] and \[max\]\)$"):
        load_gate(path)


def test_a_gate_file_bar_must_be_a_number(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[min]\n"hit@1" = "0.8"\n', encoding="utf-8")
    with pytest.raises(GateError, match=r"^the bar of hit@1 must be a number, got '0.8'$"):
        load_gate(path)


def test_outcomes_say_which_side_of_the_bar_the_value_is():
    low = Outcome(make_bar("hit@1", 0.9, "min"), 0.85)
    high = Outcome(make_bar("false_refusal_rate", 0.05, "max"), 0.0625)
    assert (low.ok, low.message) == (False, "hit@1 = 0.8500 is below its bar 0.9")
    assert (high.ok, high.message) == (False, "false_refusal_rate = 0.0625 is above its bar 0.05")
    assert Outcome(make_bar("hit@1", 0.9, "min"), 0.9).ok


def test_a_metric_the_dataset_leaves_undefined_fails_its_bar():
    (outcome,) = check([make_bar("refusal_accuracy", 0.9, "min")], {"refusal_accuracy": None})
    assert (outcome.ok, outcome.message) == (False, "refusal_accuracy has no value on this dataset (bar 0.9)")
