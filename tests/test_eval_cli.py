"""`python -m eval`, called in-process: the table, the reports (the JSON keys the app's 评测 tab reads,
the self-contained HTML), the bars, usage errors, and --compare/--ablations on a one-plan index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import make_settings

from eval.cli import main
from eval.metrics import METRICS
from rag.store.library import Library

PROJECT = Path(__file__).resolve().parent.parent
IDS = ("e001", "e002", "e113")  # two facts and an unanswerable question about 内江自贡同城化发展总体方案
KEPT_PLAN = "neizi-tongchenghua-2021"


def small_dataset(folder: Path) -> Path:
    lines = [
        line
        for line in (PROJECT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in IDS
    ]
    path = folder / "small.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_eval(home: Path, *args: str) -> Result:
    """The CLI with PLANQA_HOME = `home` and no other PLANQA_* variable of the caller's shell."""
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("PLANQA_")}
    env["PLANQA_HOME"] = str(home)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def finished(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    """One run on three questions: (result, dataset, out folder)."""
    folder = tmp_path_factory.mktemp("eval-cli")
    dataset = small_dataset(folder)
    out = folder / "reports"
    return run_eval(built_home, "--dataset", str(dataset), "--out", str(out)), dataset, out


@pytest.fixture(scope="module")
def latest(finished) -> dict:
    return json.loads((finished[2] / "latest.json").read_text(encoding="utf-8"))


def test_run_succeeds_and_prints_the_metrics_table(finished):
    result, dataset, _ = finished
    assert result.exit_code == 0, result.output
    assert f"PlanQA on {dataset.resolve()}" in result.stdout
    for metric in METRICS:
        assert metric in result.stdout


def test_progress_goes_to_stderr(finished):
    result, _, _ = finished
    assert "PlanQA" in result.stderr and "3/3" in result.stderr
    assert "3/3" not in result.stdout


def test_latest_json_has_the_keys_the_app_reads(latest, finished):
    assert latest["dataset"] == str(finished[1].resolve())
    assert set(latest["summary"]) == {"overall", "by_type", "items"}
    assert set(latest["summary"]["overall"]) == set(METRICS)
    assert set(latest["summary"]["by_type"]) == {"fact", "unanswerable"}
    assert latest["summary"]["items"] == {"overall": 3, "by_type": {"fact": 2, "unanswerable": 1}}
    assert "peers" not in latest and "ablations" not in latest


def test_created_is_an_iso_timestamp_and_names_the_stamped_copy(latest, finished):
    from datetime import datetime

    created = datetime.fromisoformat(latest["created"])
    stamped = finished[2] / f"{created.strftime('%Y%m%d-%H%M%S')}.json"
    assert json.loads(stamped.read_text(encoding="utf-8")) == latest


def test_each_question_has_its_drill_down_record(latest):
    assert [q["id"] for q in latest["questions"]] == list(IDS)
    first = latest["questions"][0]
    assert first["gold"][0]["quote"] == "两市中心城区直线距离仅28公里"
    assert set(first["scores"]) == {m for m in METRICS if not m.startswith("latency")}
    assert first["key_facts"] == [{"fact": "28公里", "found": not first["refused"] and "28公里" in first["answer"]}]


def test_html_report_is_self_contained_with_cjk_font_charts_and_drill_down(finished):
    html = (finished[2] / "latest.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2  # overall and by type
    assert 'src="http' not in html and "<link" not in html
    assert '"Noto Sans CJK SC"' in html
    assert "内江和自贡离得有多远？" in html and "两市中心城区直线距离仅28公里" in html


def test_a_bar_not_cleared_exits_1_naming_metric_value_and_bar(built_home, tmp_path):
    result = run_eval(
        built_home,
        "--dataset",
        str(small_dataset(tmp_path)),
        "--out",
        str(tmp_path / "r"),
        "--fail-under",
        "hit@1=1.5",
        "--fail-under",
        "mrr=0",
    )
    value = json.loads((tmp_path / "r" / "latest.json").read_text(encoding="utf-8"))["summary"]["overall"]["hit@1"]
    assert result.exit_code == 1
    assert f"FAIL hit@1 = {value:.4f} is below its bar 1.5" in result.stderr
    assert "mrr" not in result.stderr


def test_bars_cleared_exit_0_and_are_recorded(built_home, tmp_path):
    result = run_eval(
        built_home,
        "--dataset",
        str(small_dataset(tmp_path)),
        "--out",
        str(tmp_path / "r"),
        "--fail-under",
        "hit@5=0",
        "--fail-over",
        "false_refusal_rate=1",
    )
    assert result.exit_code == 0, result.output
    gate = json.loads((tmp_path / "r" / "latest.json").read_text(encoding="utf-8"))["gate"]
    assert gate["passed"] is True
    assert [(b["metric"], b["op"], b["bar"]) for b in gate["bars"]] == [
        ("hit@5", "min", 0.0),
        ("false_refusal_rate", "max", 1.0),
    ]


def test_unknown_metric_is_a_usage_error(tmp_path):
    result = run_eval(tmp_path / "home", "--fail-under", "hit@3=0.5")
    assert result.exit_code == 2
    assert "error: unknown metric 'hit@3' (known: hit@1, hit@5, mrr" in result.stderr


def test_a_bar_on_the_wrong_side_of_its_metric_is_a_usage_error(tmp_path):
    result = run_eval(tmp_path / "home", "--fail-under", "false_refusal_rate=0.1")
    assert result.exit_code == 2
    assert "false_refusal_rate: lower is better, so gate it with --fail-over (a [max] bar)" in result.stderr


def test_a_malformed_dataset_is_a_usage_error_naming_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    result = run_eval(tmp_path / "home", "--dataset", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:1: missing field(s) question, type, answer, key_facts, gold" in result.stderr


# -- peers and ablations, on an index of one plan (so the baselines embed one plan, not five) --------
@pytest.fixture
def one_plan_home(home_copy: Path) -> Path:
    index = Library(make_settings(home_copy))
    for document in index.store.documents():
        if document.doc_id != KEPT_PLAN:
            assert index.delete(document.doc_id)
    return home_copy


def test_compare_and_ablations_add_peers_and_studies_to_every_output(one_plan_home, tmp_path):
    out = tmp_path / "r"
    result = run_eval(
        one_plan_home, "--dataset", str(small_dataset(tmp_path)), "--out", str(out), "--compare", "--ablations"
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    systems = report["peers"]["systems"]
    assert list(systems) == ["planqa", "naive", "bm25"]
    assert all(set(s["overall"]) == set(METRICS) for s in systems.values())
    assert systems["naive"]["overall"]["refusal_accuracy"] == 0.0  # baselines never refuse
    assert systems["planqa"]["overall"] == report["summary"]["overall"]
    assert [(r["chunks"], r["mode"]) for r in report["ablations"]["retrieval"]] == [
        (c, m) for c in ("article", "fixed") for m in ("dense", "keyword", "hybrid")
    ]
    sweep = report["ablations"]["refusal_threshold"]
    configured = make_settings(one_plan_home).answer.refusal_threshold
    assert [p["threshold"] for p in sweep] == sorted(
        {0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, configured}
    )
    assert [p["threshold"] for p in sweep if p["configured"]] == [configured]
    html = (out / "latest.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 5  # overall, by type, peers, retrieval, refusal
    assert "与基线对比" in html and "消融实验" in html
    assert "PlanQA vs baselines" in result.stdout and "answer.refusal_threshold" in result.stdout
    assert list((one_plan_home / "cache").glob("eval-vectors-*.npz"))  # the next run embeds nothing


def test_judge_without_a_configured_llm_is_a_usage_error_before_any_answer(tmp_path):
    result = run_eval(tmp_path / "home", "--judge", "--dataset", str(small_dataset(tmp_path)))
    assert result.exit_code == 2
    assert "error: --judge: 未配置大模型接口" in result.stderr
    assert "PLANQA_LLM__BASE_URL" in result.stderr
    assert not (tmp_path / "home").exists()  # nothing was built or answered
