"""The app's public API and the server-side rules its pages rely on.

`/ask` is called as DESIGN.md says, through `gradio_client` against the app started on loopback;
the write gate, upload checks and the eval report reader are called directly.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import PLANS, copy_home, make_settings, serving
from gradio_client import Client
from gradio_client.exceptions import AppError

from ingest.loaders import REFUSALS
from rag.api import PlanQA
from rag.records import REFUSAL
from rag.settings import PROJECT_DIR, AppSettings
from ui import render
from ui.access import WRITES_OFF, WRONG_PASSWORD, Access, write_access
from ui.app import build_app, launch_options
from ui.documents import INGEST_REASONS, upload, wrong_type
from ui.evaltab import NO_REPORT, add_line, default_command, report_html, reports_dir_of

NEIZI = "内江自贡同城化发展总体方案"
DISTANCE = "内江和自贡离得有多远？"
UNANSWERABLE = "周杰伦什么时候来内江开演唱会？"
ANSWER_FIELDS = {"question", "answer", "refused", "citations", "retrieved", "unsupported", "latency_ms", "mode"}
CITATION_FIELDS = {"n", "doc_title", "doc_file", "clause_ref", "section", "text", "quote", "quotes"}
POSITIONS = "内自同城化的四个发展定位是什么？"  # one article, four quoted sentences
NAMES_KEPT_IN_LATIN = {"PDF", "DOCX", "OCR", "Word", "txt"}  # file types and tools, as Chinese text writes them
PASSWORD = "s3cret"


@pytest.fixture(scope="module")
def app_home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the built index for this module's app."""
    return copy_home(built_home, tmp_path_factory.mktemp("ui-api"))


@pytest.fixture(scope="module")
def app_planqa(app_home: Path) -> PlanQA:
    """PlanQA with an admin password (writes are off without one)."""
    return PlanQA(make_settings(app_home, app=AppSettings(password=PASSWORD)), build=False)


@pytest.fixture(scope="module")
def app_url(app_planqa: PlanQA) -> Iterator[str]:
    with serving(app_planqa) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


# -- /ask --------------------------------------------------------------------------------------
def test_ask_returns_the_json_object_of_ask_json(client: Client) -> None:
    data = client.predict(DISTANCE, api_name="/ask")
    assert ANSWER_FIELDS <= set(data)
    assert data["citations"] and all(CITATION_FIELDS <= set(c) for c in data["citations"])
    assert len(data["retrieved"]) >= 10
    assert all({"doc_title", "clause_ref", "text", "score"} <= set(r) for r in data["retrieved"])


def test_ask_cites_the_clause_that_holds_the_fact(client: Client) -> None:
    data = client.predict(DISTANCE, api_name="/ask")
    assert (data["citations"][0]["doc_title"], data["citations"][0]["clause_ref"]) == (NEIZI, "二、（一）")
    assert "28公里" in data["answer"] and "28公里" in data["citations"][0]["quote"]
    assert data["refused"] is False


def test_ask_quotes_every_sentence_the_answer_rests_on(client: Client) -> None:
    data = client.predict(POSITIONS, api_name="/ask")
    (citation,) = data["citations"]
    assert citation["quotes"] == [
        "——成渝地区现代产业配套基地。",
        "——成渝地区南向开放重要门户枢纽。",
        "——全国老工业城市转型发展引领示范区。",
        "——巴蜀文化旅游特色目的地。",
    ]
    assert citation["quote"] == citation["quotes"][0]
    assert all(quote in citation["text"] and quote in data["answer"] for quote in citation["quotes"])


def test_a_follow_up_is_read_only_in_a_conversation(client: Client) -> None:
    alone = client.predict("那它的发展目标是什么？", api_name="/ask")
    assert "understood_as" not in alone
    followed = client.predict("那它的发展目标是什么？", [DISTANCE], api_name="/ask_in_conversation")
    assert followed["understood_as"] == "《内江自贡同城化发展总体方案》的发展目标是什么？"
    assert followed["citations"][0]["clause_ref"] == "三、（三）"


def test_ask_gives_what_the_python_api_gives(client: Client, app_planqa: PlanQA) -> None:
    data = client.predict(DISTANCE, api_name="/ask")
    expected = app_planqa.ask(DISTANCE).to_json()
    data.pop("latency_ms"), expected.pop("latency_ms")
    assert data == json.loads(json.dumps(expected))


def test_an_unanswerable_question_is_refused(client: Client) -> None:
    data = client.predict(UNANSWERABLE, api_name="/ask")
    assert data["refused"] is True
    assert data["answer"].startswith(REFUSAL)


def test_an_empty_question_is_an_error_with_its_reason(client: Client) -> None:
    with pytest.raises(AppError, match=r"^问题不能为空。$"):
        client.predict("  ", api_name="/ask")


def test_asking_is_the_only_public_api(client: Client) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/ask", "/ask_in_conversation"]
    assert api["unnamed_endpoints"] == {}


def test_every_page_event_is_private(app_planqa: PlanQA) -> None:
    config = build_app(app_planqa).get_config_file()
    public = [d["api_name"] for d in config["dependencies"] if d["api_visibility"] != "private"]
    assert public == ["ask", "ask_in_conversation"]


# -- safe defaults -----------------------------------------------------------------------------
def test_launch_defaults_bind_loopback_and_block_the_data_folder(app_home: Path) -> None:
    options = launch_options(make_settings(app_home))
    assert (options["server_name"], options["server_port"], options["share"]) == ("127.0.0.1", 7860, False)
    assert options["allowed_paths"] == []
    assert str(app_home.resolve()) in options["blocked_paths"]
    assert str(PROJECT_DIR / ".env") in options["blocked_paths"]
    assert options["max_file_size"] == 20 * 1024 * 1024


def test_the_index_files_are_not_served(app_url: str, app_home: Path) -> None:
    database = next(app_home.rglob("*.sqlite3"))
    response = httpx.get(f"{app_url}gradio_api/file={database}")
    assert response.status_code == 403


# -- the write gate ----------------------------------------------------------------------------
def test_writes_are_off_without_a_password_even_on_loopback(tmp_path: Path) -> None:
    assert write_access(make_settings(tmp_path)) is Access.OFF


def test_writes_are_off_on_the_network_without_a_password(tmp_path: Path) -> None:
    assert write_access(make_settings(tmp_path, app=AppSettings(host="0.0.0.0"))) is Access.OFF


def test_a_password_guards_writes_wherever_the_app_binds(tmp_path: Path) -> None:
    assert write_access(make_settings(tmp_path, app=AppSettings(host="0.0.0.0", password="s3cret"))) is Access.PASSWORD


def test_an_app_without_password_refuses_uploads_on_loopback(app_planqa: PlanQA, tmp_path: Path) -> None:
    local = PlanQA(make_settings(app_planqa.settings.home), index=app_planqa.index, build=False)
    plan = tmp_path / "plan.txt"
    plan.write_text("一、总则\n（一）目标。到2026年建成示范基地12个。\n", encoding="utf-8")
    assert upload(local, str(plan), None) == ("error", WRITES_OFF)
    assert not (local.settings.uploads_dir / "plan.txt").exists()


def test_an_exposed_app_without_password_refuses_uploads(app_planqa: PlanQA, tmp_path: Path) -> None:
    exposed = PlanQA(
        make_settings(app_planqa.settings.home, app=AppSettings(host="0.0.0.0")), index=app_planqa.index, build=False
    )
    plan = tmp_path / "plan.txt"
    plan.write_text("一、总则\n（一）目标。到2026年建成示范基地12个。\n", encoding="utf-8")
    assert upload(exposed, str(plan), None) == ("error", WRITES_OFF)
    assert not (exposed.settings.uploads_dir / "plan.txt").exists()


def test_a_wrong_password_writes_nothing(app_planqa: PlanQA, tmp_path: Path) -> None:
    guarded = PlanQA(
        make_settings(app_planqa.settings.home, app=AppSettings(password="s3cret")), index=app_planqa.index, build=False
    )
    plan = tmp_path / "plan.txt"
    plan.write_text("一、总则\n（一）目标。到2026年建成示范基地12个。\n", encoding="utf-8")
    assert upload(guarded, str(plan), "guess") == ("error", WRONG_PASSWORD)
    assert not (guarded.settings.uploads_dir / "plan.txt").exists()


def test_an_unsupported_file_type_is_refused_by_name(app_planqa: PlanQA, tmp_path: Path) -> None:
    sheet = tmp_path / "plan.xlsx"
    sheet.write_bytes(b"PK")
    kind, message = upload(app_planqa, str(sheet), PASSWORD)
    assert (kind, message.split("：")[0]) == ("error", "不支持的文件类型 .xlsx")


def test_an_upload_named_like_a_bundled_plan_is_refused(app_planqa: PlanQA, tmp_path: Path) -> None:
    twin = tmp_path / "neizi-tongchenghua-2021.txt"
    shutil.copy(PLANS / twin.name, twin)
    assert upload(app_planqa, str(twin), PASSWORD) == (
        "error",
        "neizi-tongchenghua-2021.txt 与内置规划文件同名，请改名后再上传。",
    )


def test_a_file_that_cannot_be_parsed_is_reported_and_not_kept(app_planqa: PlanQA, tmp_path: Path) -> None:
    empty = tmp_path / "empty-plan.txt"
    empty.write_bytes(b"")
    kind, message = upload(app_planqa, str(empty), PASSWORD)
    assert (kind, message) == ("error", "无法索引 empty-plan.txt：文件是空的，没有可索引的内容。")
    assert not (app_planqa.settings.uploads_dir / "empty-plan.txt").exists()


# -- rendering ---------------------------------------------------------------------------------
def test_unsupported_sentences_are_marked_in_the_chat_message(app_planqa: PlanQA) -> None:
    answer = app_planqa.ask(DISTANCE)
    invented = "两市计划于2030年合并为一个城市。"
    answer = replace(answer, text=answer.text + invented + "[1]", unsupported=[invented])
    message = render.answer_markdown(answer)
    assert f'<mark class="unsupported" title="未能在引用条款中核实">{render.md_escape(invented)}</mark>' in message
    assert "⚠ 有 1 句未能在所引条款中核实（已标出），请以条款原文为准。" in message


def test_a_copied_answer_lists_its_sources_with_their_quotes(app_planqa: PlanQA) -> None:
    answer = app_planqa.ask(DISTANCE)
    text = render.answer_plain(answer)
    citation = answer.citations[0]
    assert text.startswith(f"问：{DISTANCE}\n答：{answer.text}\n\n出处：\n")
    assert f"[1] {citation.label}\n    “{citation.quote}”" in text


def test_document_text_is_escaped_in_cards(app_planqa: PlanQA) -> None:
    answer = app_planqa.ask(DISTANCE)
    citation = answer.citations[0]
    hostile = replace(citation, text="<script>alert(1)</script>" + citation.text, quote_start=-1, spans=())
    html = render.citation_cards(replace(answer, citations=[hostile]))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- the eval report ---------------------------------------------------------------------------
def test_a_missing_report_gets_a_friendly_note(tmp_path: Path) -> None:
    assert report_html(tmp_path) == render.notice(NO_REPORT, "info")


def test_the_report_table_shows_overall_and_per_type_values(tmp_path: Path) -> None:
    report = {
        "metrics": {"hit@1": {"label": "首位命中", "higher_is_better": True}},
        "summary": {
            "overall": {"hit@1": 0.875},
            "by_type": {"fact": {"hit@1": 0.9}},
            "items": {"overall": 8, "by_type": {"fact": 4}},
        },
    }
    (tmp_path / "latest.json").write_text(json.dumps(report), encoding="utf-8")
    html = report_html(tmp_path)
    assert (
        '<div class="tile-value">0.875</div><div class="tile-label">首位命中<span class="metric-key">hit@1 ↑</span>'
        in html
    )
    assert "<th data-type='fact'>事实<span class='metric-key'>fact · 4 题</span></th>" in html
    assert "<tr><th>首位命中<span class=\"metric-key\">hit@1 ↑</span></th><td class='num'>0.900</td></tr>" in html


def test_progress_bar_redraws_fold_into_one_log_line() -> None:
    log: list[str] = ["start"]
    for line in (
        "PlanQA  0/2 0:00:01",
        "PlanQA ╸ 1/4 0:00:02",
        "PlanQA ━━━━╸ 3/4 0:00:03",
        "PlanQA ━━━━━━ 4/4 0:00:04",
        "done",
    ):
        add_line(log, line)
    assert log == ["start", "PlanQA ━━━━━━ 4/4 0:00:04", "done"]


def test_eval_reports_are_read_from_and_written_to_planqa_home(app_planqa: PlanQA, tmp_path: Path) -> None:
    home = app_planqa.settings.home
    report = {"summary": {"overall": {"hit@1": 0.625}}}
    (home / "reports").mkdir(exist_ok=True)
    (home / "reports" / "latest.json").write_text(json.dumps(report), encoding="utf-8")
    config = build_app(app_planqa).get_config_file()
    shown = next(c["props"]["value"] for c in config["components"] if c["props"].get("elem_id") == "eval-report")
    assert '<div class="tile-value">0.625</div>' in shown
    assert reports_dir_of(app_planqa.settings) == home / "reports"
    command = default_command(reports_dir_of(app_planqa.settings), home)
    assert command[command.index("--out") + 1] == str(home / "reports")


# -- messages in Chinese -------------------------------------------------------------------------
def test_every_reason_ingest_gives_for_refusing_a_file_has_a_chinese_message() -> None:
    assert set(INGEST_REASONS) == set(REFUSALS) | {"lookalike"}
    words = {word for text in INGEST_REASONS.values() for word in re.findall("[A-Za-z]+", text)}
    assert words == NAMES_KEPT_IN_LATIN


def test_a_file_of_another_type_is_refused_by_its_type_in_chinese(app_planqa: PlanQA) -> None:
    assert wrong_type(".xlsx", (".txt", ".pdf")) == "不支持的文件类型 .xlsx：请上传 .txt、.pdf 文件。"
