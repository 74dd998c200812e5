"""The regression gate: PlanQA clears every bar of eval/gate.toml on each dataset it names, the dev set
and the held-out set (one test per dataset and bar, named for both), and how bars are read and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_home, make_settings

from eval.dataset import load_dataset
from eval.gate import Bar, GateError, GateSection, Outcome, bars_for, check, load_gate, make_bar, parse_bar
from eval.runner import Run, answer_all, evaluate
from rag.api import PlanQA
from rag.store.library import Library

PROJECT = Path(__file__).resolve().parent.parent
GATE = PROJECT / "eval" / "gate.toml"
SECTIONS = load_gate(GATE)
CORE_METRICS = {
    "hit@1",
    "citation_precision",
    "key_fact_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "groundedness",
}


@pytest.fixture(scope="module")
def runs(planqa, built_home, tmp_path_factory) -> dict[str, Run]:
    """PlanQA (default settings) on each gated dataset, answered once for all its bars: over the
    session's index of the bundled plans, or over that index with the section's own documents added
    (as a user adds theirs beside the bundled plans)."""
    found: dict[str, Run] = {}
    for section in SECTIONS:
        if section.dataset is None:
            continue
        system = planqa
        if section.documents is not None:
            home = copy_home(built_home, tmp_path_factory.mktemp(f"gate-{section.name}"))
            index = Library(make_settings(home))
            report = index.ingest([section.documents])
            assert not report.failed, report.failed
            system = PlanQA(index.settings, index=index, build=False)
        items = load_dataset(section.dataset)
        found[section.name] = evaluate(
            section.name, items, answer_all(system, items), system.settings.answer.support_threshold
        )
    return found


def _gated() -> list[tuple[GateSection, Bar]]:
    return [(section, bar) for section in SECTIONS if section.dataset is not None for bar in section.bars]


@pytest.mark.parametrize(
    ("section", "bar"), _gated(), ids=lambda v: v.name if isinstance(v, GateSection) else f"{v.op}-{v.metric}"
)
def test_each_gated_set_clears_its_bar(runs, section, bar):
    (outcome,) = check([bar], runs[section.name].summary["overall"])
    assert outcome.ok, f"gate failed on {section.dataset.name}: {outcome.message}"


def test_gate_covers_the_dev_the_held_out_and_the_unseen_set():
    datasets = {s.name: s.dataset for s in SECTIONS}
    assert datasets["dev"] == PROJECT / "eval" / "qa.jsonl"
    assert datasets["holdout"] == PROJECT / "eval" / "holdout.jsonl"
    assert datasets["unseen"].resolve() == PROJECT / "eval" / "unseen.jsonl"
    assert {s.name: s.documents for s in SECTIONS}["unseen"].resolve() == PROJECT / "data" / "devcorpus" / "docs"


def test_the_sealed_set_is_never_gated():
    """eval/sealed.jsonl is only ever scored: a bar on it would invite tuning to it."""
    assert all(s.dataset is None or s.dataset.name != "sealed.jsonl" for s in SECTIONS)


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.dataset is not None], ids=lambda s: s.name)
def test_gate_file_bars_a_retrieval_a_citation_an_answer_a_grounding_and_a_refusal_metric(section):
    assert CORE_METRICS <= {bar.metric for bar in section.bars}


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
        (
            "false_refusal_rate=0.1",
            "min",
            "false_refusal_rate: lower is better, so gate it with --fail-over (a [max] bar)",
        ),
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
    with pytest.raises(
        GateError, match=r"unknown table\(s\) minimum \(use \[min\] and \[max\], or a table with a dataset\)$"
    ):
        load_gate(path)


def test_a_gate_file_has_one_table_per_dataset_relative_to_the_file(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        '[dev]\ndataset = "qa.jsonl"\n[dev.min]\n"hit@1" = 0.9\n'
        '[other]\ndataset = "sets/other.jsonl"\ndocuments = "corpus"\n[other.min]\n"hit@1" = 0.7\n[other.max]\nfalse_refusal_rate = 0.1\n',
        encoding="utf-8",
    )
    sections = load_gate(path)
    assert sections == [
        GateSection("dev", tmp_path / "qa.jsonl", (Bar("hit@1", "min", 0.9),)),
        GateSection(
            "other",
            tmp_path / "sets" / "other.jsonl",
            (Bar("hit@1", "min", 0.7), Bar("false_refusal_rate", "max", 0.1)),
            tmp_path / "corpus",
        ),
    ]
    assert bars_for(sections, tmp_path / "sets" / "other.jsonl") == [
        Bar("hit@1", "min", 0.7),
        Bar("false_refusal_rate", "max", 0.1),
    ]


def test_bare_bars_apply_to_every_dataset_and_a_dataset_table_adds_its_own(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        '[max]\nfalse_refusal_rate = 0.1\n[dev]\ndataset = "qa.jsonl"\n[dev.min]\n"hit@1" = 0.9\n', encoding="utf-8"
    )
    sections = load_gate(path)
    assert bars_for(sections, tmp_path / "qa.jsonl") == [
        Bar("false_refusal_rate", "max", 0.1),
        Bar("hit@1", "min", 0.9),
    ]
    assert bars_for(sections, tmp_path / "mine.jsonl") == [Bar("false_refusal_rate", "max", 0.1)]


def test_a_dataset_the_gate_file_has_no_bars_for_is_an_error(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[dev]\ndataset = "qa.jsonl"\n[dev.min]\n"hit@1" = 0.9\n', encoding="utf-8")
    with pytest.raises(GateError, match=r"^g.toml has no bars for mine.jsonl \(its datasets: \[dev\] .*qa.jsonl\)$"):
        bars_for(load_gate(path), Path("mine.jsonl"), "g.toml")


def test_a_dataset_table_with_an_unknown_key_is_rejected(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text('[dev]\ndataset = "qa.jsonl"\nminimum = 3\n', encoding="utf-8")
    with pytest.raises(GateError, match=r"\[dev\]: unknown key\(s\) minimum \(known: dataset, documents, min, max\)$"):
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
