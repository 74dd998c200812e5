"""The command line, called in-process: `python -m rag ingest | ask`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PLANS

from rag.cli import main

NEIZI = PLANS / "neizi-tongchenghua-2021.txt"


def run(*args: str) -> click.testing.Result:  # noqa: F821
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def small_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plans folder holding one plan, so a first-run build is quick."""
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(NEIZI, folder / NEIZI.name)
    monkeypatch.setenv("PLANQA_PLANS_DIR", str(folder))
    return folder


def test_the_first_ask_builds_the_index_and_answers(small_plans: Path, tmp_path: Path) -> None:
    result = run("ask", "--json", "内江和自贡离得有多远？")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["citations"][0]["clause_ref"] == "二、（一）"
    assert "28公里" in data["answer"]
    assert (tmp_path / "home" / "chroma").is_dir()


def test_ingest_twice_changes_nothing_the_second_time(small_plans: Path) -> None:
    first = run("ingest")
    assert first.exit_code == 0
    assert "added" in first.stdout
    second = run("ingest")
    assert second.exit_code == 0
    assert "unchanged" in second.stdout
    assert "nothing changed" in second.stdout


def test_ingest_reports_a_bad_file_and_exits_non_zero(small_plans: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("ingest", str(empty))
    assert result.exit_code == 1
    assert "the file is empty" in result.stdout


def test_ask_prints_the_answer_and_its_sources(built_home: Path) -> None:
    result = run("--home", str(built_home), "ask", "川南渝西方案的发文字号是多少？")
    assert result.exit_code == 0
    assert "川府发〔2023〕9号[1]" in result.stdout
    assert "[1] 《推动川南渝西地区融合发展总体方案》印发通知" in result.stdout


def test_an_empty_question_exits_with_a_message(built_home: Path) -> None:
    result = run("--home", str(built_home), "ask", "  ")
    assert result.exit_code == 2
    assert "问题不能为空" in result.stderr


def test_an_unknown_document_exits_with_a_message(built_home: Path) -> None:
    result = run("--home", str(built_home), "ask", "页岩气", "--doc", "雄安方案")
    assert result.exit_code == 2
    assert "没有名为“雄安方案”的文件" in result.stderr


def test_jsonl_answers_every_line_and_reports_bad_ones(built_home: Path, tmp_path: Path) -> None:
    questions = tmp_path / "in.jsonl"
    questions.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "内江和自贡离得有多远？", "type": "fact"}, ensure_ascii=False),
                json.dumps({"id": "b", "question": ""}, ensure_ascii=False),
                "not json",
                json.dumps({"id": "c", "question": "内自同城化到2030年地区生产总值目标是多少？"}, ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("--home", str(built_home), "ask", "--jsonl", str(questions), "--out", str(out))
    assert result.exit_code == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == ["a", "b", 3, "c"]
    assert answers[0]["citations"][0]["clause_ref"] == "二、（一）"
    assert "问题不能为空" in answers[1]["error"]
    assert "not a JSON object" in answers[2]["error"]
    assert answers[3]["refused"] is True
    assert all("latency_ms" in a for a in (answers[0], answers[3]))


def test_ask_needs_a_question_or_a_file(built_home: Path) -> None:
    result = run("--home", str(built_home), "ask")
    assert result.exit_code == 2
    assert "give a question, or --jsonl FILE" in result.stderr


def test_a_bad_setting_is_named_without_echoing_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_LLM__KEY", "sk-mistyped-secret-7f3a")  # the field is API_KEY: an unknown variable
    monkeypatch.setenv("PLANQA_ANSWER__REFUSAL_THRESHOLD", "high")
    result = run("ask", "问题")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "configuration error: PLANQA_ANSWER__REFUSAL_THRESHOLD: Input should be a valid number, unable to parse "
        "string as a number",
        "configuration error: PLANQA_LLM__KEY: Extra inputs are not permitted",
    ]
    assert "sk-mistyped" not in result.output
