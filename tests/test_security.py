"""What the app and the command line never do: keep an upload outside the uploads folder or over
another document, take a file too large or of the wrong kind, serve files from the disk, or show the
LLM key (logs, JSON, errors, the page). The write gate and the loopback default are in test_ui_api.py.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromadb
import gradio as gr
import httpx
import pytest
from chromadb.errors import InternalError
from click.testing import CliRunner
from conftest import PROJECT, make_settings
from fake_openai_server import FakeOpenAIServer
from gradio_client import Client

from rag.answer.llm import LLMError
from rag.api import PlanQA
from rag.cli import main
from rag.query.checks import QuestionError, check_question
from rag.settings import AnswerSettings, AppSettings, LLMSettings, Settings
from rag.store.disk import StorageError
from rag.store.journal import MAX_NAME_BYTES, kept_name
from rag.store.library import Library
from ui.access import WRITES_OFF, WRONG_PASSWORD
from ui.app import ask_json, build_app, launch_options
from ui.chat import respond
from ui.documents import delete, upload

KEY = "sk-planqa-canary-5b1e7f0c9d"  # distinctive: any appearance of it is a leak
PASSWORD = "pw-canary-e4a2"
PLAN = """双城示范区建设方案

一、总体要求
（一）发展目标。到2025年，示范区地区生产总值达到1500亿元，新增城际铁路2条。
（二）重点任务。共建汽车、电子信息两大产业集群，到2025年产值突破800亿元。
"""
QUESTION = "示范区到2025年地区生产总值要达到多少？"


def plan_text(title: str) -> str:
    return PLAN.replace("双城示范区建设方案", title)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """PlanQA over a home holding one short plan, with an admin password; uploads go into it."""
    root = tmp_path_factory.mktemp("security")
    plans = root / "plans"
    plans.mkdir()
    (plans / "shuangcheng-2024.txt").write_text(PLAN, encoding="utf-8")
    return PlanQA(make_settings(root / "home", plans_dir=plans, app=AppSettings(password=PASSWORD)))


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def kept_only_in_uploads(small: PlanQA, before: set[Path], name: str) -> bool:
    """Since `before`, the one file written beside the home or at its top is uploads/`name`
    (the store's own folders aside)."""
    home, uploads = small.settings.home, small.settings.uploads_dir
    new = files(home.parent) - before
    stray = {p for p in new if not p.is_relative_to(home) or (p.parent == home and p.name != "write.lock")}
    return stray == set() and {p for p in new if p.is_relative_to(uploads)} == {uploads / name}


def uploaded(small: PlanQA) -> set[str]:
    folder = small.settings.uploads_dir
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


# -- stored names ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../evil.txt", "evil.txt"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("C:\\Windows\\win.ini.txt", "win.ini.txt"),
        ("plan\x00\x1b[31m.txt", "plan_[31m.txt"),
        ("规划\u202etxt.exe.md", "规划_txt.exe.md"),
        (".hidden.txt", "hidden.txt"),
        ('a<b>:"c"|d?*.md', "a_b_c_d.md"),
        ("....txt", "upload.txt"),
    ],
)
def test_a_stored_name_is_one_plain_name_in_the_uploads_folder(name, kept):
    assert kept_name(name) == kept


def test_a_long_name_is_cut_to_fit_any_file_system_and_keeps_its_type():
    name = kept_name("成渝地区双城经济圈建设规划纲要" * 20 + ".docx")
    assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith(".docx") and name.startswith("成渝地区")


def test_an_upload_named_with_a_backslash_path_is_kept_inside_uploads(small, tmp_path):
    hostile = tmp_path / "..\\..\\backslash-plan.txt"  # one file name on POSIX, a path on Windows
    hostile.write_text(plan_text("反斜杠示范区方案"), encoding="utf-8")
    before = files(small.settings.home.parent)
    kind, message = upload(small, str(hostile), PASSWORD)
    assert (kind, message.split("：")[0]) == ("ok", "已索引《反斜杠示范区方案》")
    assert kept_only_in_uploads(small, before, "backslash-plan.txt")


def test_an_upload_through_a_dotted_path_is_kept_under_its_own_name(small, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "dotted-plan.txt").write_text(plan_text("点路径示范区方案"), encoding="utf-8")
    before = files(small.settings.home.parent)
    assert upload(small, str(tmp_path / "a" / "b" / ".." / ".." / "dotted-plan.txt"), PASSWORD).kind == "ok"
    assert kept_only_in_uploads(small, before, "dotted-plan.txt")


def test_an_upload_named_with_control_characters_is_kept_without_them(small, tmp_path):
    hostile = tmp_path / "ctrl\x1b[31m\x07-plan.txt"
    hostile.write_text(plan_text("控制字符示范区方案"), encoding="utf-8")
    before = files(small.settings.home.parent)
    assert upload(small, str(hostile), PASSWORD).kind == "ok"
    assert kept_only_in_uploads(small, before, "ctrl_[31m_-plan.txt")


def test_a_path_holding_a_nul_gets_a_message_not_an_exception(small, tmp_path):
    assert upload(small, str(tmp_path / "plan\x00.txt"), PASSWORD) == ("error", "找不到上传的文件，请重新选择后再试。")


def test_a_very_long_file_name_is_kept_shortened(small, tmp_path):
    long = tmp_path / ("长" * 80 + ".txt")  # 244 bytes: allowed here, too long with a prefix elsewhere
    long.write_text(plan_text("长名称示范区方案"), encoding="utf-8")
    assert upload(small, str(long), PASSWORD).kind == "ok"
    (kept,) = [n for n in uploaded(small) if n.startswith("长")]
    assert len(kept.encode()) <= MAX_NAME_BYTES and kept.endswith(".txt")


# -- no overwriting ----------------------------------------------------------------------------------
def test_an_upload_with_the_name_of_another_upload_is_refused_and_the_original_kept(small, tmp_path):
    (tmp_path / "first").mkdir(), (tmp_path / "second").mkdir()
    (tmp_path / "first" / "twin-plan.txt").write_text(plan_text("第一份示范区方案"), encoding="utf-8")
    (tmp_path / "second" / "twin-plan.txt").write_text(plan_text("第二份示范区方案"), encoding="utf-8")
    assert upload(small, str(tmp_path / "first" / "twin-plan.txt"), PASSWORD).kind == "ok"
    kind, message = upload(small, str(tmp_path / "second" / "twin-plan.txt"), PASSWORD)
    assert (kind, message) == (
        "error",
        "已有同名文件 twin-plan.txt（《第一份示范区方案》），为免覆盖，未上传。要替换它，请先删除《第一份示范区方案》再上传；要同时保留，请改名后再上传。",
    )
    assert (small.settings.uploads_dir / "twin-plan.txt").read_text(encoding="utf-8") == plan_text("第一份示范区方案")
    assert "第一份示范区方案" in [d.title for d in small.documents()]


def test_a_name_that_differs_only_in_case_and_type_is_the_same_document_and_refused(small, tmp_path):
    (tmp_path / "case-plan.txt").write_text(plan_text("大小写示范区方案"), encoding="utf-8")
    (tmp_path / "Case-Plan.md").write_text(plan_text("另一份示范区方案"), encoding="utf-8")
    assert upload(small, str(tmp_path / "case-plan.txt"), PASSWORD).kind == "ok"
    kind, message = upload(small, str(tmp_path / "Case-Plan.md"), PASSWORD)
    assert kind == "error" and message.startswith("已有同名文件 case-plan.txt（《大小写示范区方案》）")
    assert "Case-Plan.md" not in uploaded(small)
    assert [d.title for d in small.documents() if d.doc_id == "case-plan"] == ["大小写示范区方案"]


def test_a_name_like_a_bundled_plan_in_other_case_is_refused(small, tmp_path):
    twin = tmp_path / "ShuangCheng-2024.md"
    twin.write_text(plan_text("冒名方案"), encoding="utf-8")
    assert upload(small, str(twin), PASSWORD) == ("error", "ShuangCheng-2024.md 与内置规划文件同名，请改名后再上传。")
    assert [d.title for d in small.documents() if d.doc_id == "shuangcheng-2024"] == ["双城示范区建设方案"]


def test_the_same_file_uploaded_again_changes_nothing(small, tmp_path):
    again = tmp_path / "again-plan.txt"
    again.write_text(plan_text("重复上传示范区方案"), encoding="utf-8")
    assert upload(small, str(again), PASSWORD).kind == "ok"
    assert upload(small, str(again), PASSWORD) == ("info", "again-plan.txt 已在索引中，内容没有变化。")


# -- deleting --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("app", "password", "message"),
    [(AppSettings(host="0.0.0.0"), None, WRITES_OFF), (AppSettings(password=PASSWORD), "guess", WRONG_PASSWORD)],
    ids=["exposed-without-password", "wrong-password"],
)
def test_a_delete_without_the_password_removes_nothing(small, app, password, message):
    gated = PlanQA(
        make_settings(small.settings.home, plans_dir=small.settings.plans_dir, app=app), index=small.index, build=False
    )
    assert delete(gated, "shuangcheng-2024", password) == ("error", message)
    assert "shuangcheng-2024" in [d.doc_id for d in small.documents()]


# -- size and type -----------------------------------------------------------------------------------
def test_a_file_over_the_upload_limit_is_refused_on_the_server(small, tmp_path):
    limited = PlanQA(
        make_settings(
            small.settings.home,
            plans_dir=small.settings.plans_dir,
            app=AppSettings(max_upload_mb=0.01, password=PASSWORD),
        ),
        index=small.index,
        build=False,
    )
    big = tmp_path / "big-plan.txt"
    big.write_text(plan_text("超大示范区方案") + "附录。" * 5000, encoding="utf-8")
    kind, message = upload(limited, str(big), PASSWORD)
    assert kind == "error" and message.startswith("文件过大：0.04 MB") and message.endswith("上限 0.01 MB。")
    assert "big-plan.txt" not in uploaded(small)


@pytest.mark.parametrize("name", ["plan.txt.exe", "plan", "plan.exe", "plan.pdf.sh"])
def test_a_file_of_another_type_is_refused_whatever_it_is_called(small, tmp_path, name):
    sneaky = tmp_path / name
    sneaky.write_text(plan_text("伪装方案"), encoding="utf-8")
    kind, message = upload(small, str(sneaky), PASSWORD)
    assert kind == "error" and message.startswith("不支持的文件类型")
    assert not any(n.startswith("plan") for n in uploaded(small))


# -- secrets -------------------------------------------------------------------------------------------
def test_settings_never_show_the_key_or_password(monkeypatch):
    monkeypatch.setenv("PLANQA_LLM__API_KEY", KEY)
    monkeypatch.setenv("PLANQA_APP__PASSWORD", PASSWORD)
    settings = Settings(_env_file=None)
    assert settings.llm.api_key.get_secret_value() == KEY
    shown = repr(settings) + str(settings) + settings.model_dump_json() + json.dumps(settings.model_dump(mode="json"))
    assert KEY not in shown and PASSWORD not in shown


class KeyEchoingServer:
    """An OpenAI-compatible endpoint that rejects every request and repeats the key it was sent
    in its error, as some servers do."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.dumps(
                    {
                        "error": {
                            "message": f"Incorrect API key provided: {self.headers.get('Authorization')}",
                            "type": "invalid_request_error",
                        }
                    }
                ).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def echoing() -> Iterator[KeyEchoingServer]:
    server = KeyEchoingServer()
    yield server
    server.close()


def llm_settings(small: PlanQA, base_url: str) -> Settings:
    llm = LLMSettings(base_url=base_url, model="fake-qwen", api_key=KEY)
    return make_settings(
        small.settings.home,
        plans_dir=small.settings.plans_dir,
        answer=AnswerSettings(mode="llm"),
        llm=llm,
        app=AppSettings(password=PASSWORD),
    )


def test_an_endpoint_error_that_repeats_the_key_is_shown_without_it(small, echoing):
    qa = PlanQA(llm_settings(small, echoing.base_url), index=small.index, build=False)
    with pytest.raises(LLMError) as error:
        qa.ask(QUESTION)
    shown = "".join(traceback.format_exception(error.value))
    assert "Error code: 401" in shown and "Bearer ***" in shown
    assert KEY not in shown


def test_a_key_in_the_endpoint_url_is_not_shown_when_it_is_unreachable(small):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    qa = PlanQA(llm_settings(small, f"http://planqa:{KEY}@127.0.0.1:{closed}/v1"), index=small.index, build=False)
    with pytest.raises(LLMError) as error:
        qa.ask(QUESTION)
    shown = "".join(traceback.format_exception(error.value))
    assert "Connection error" in shown and "http://***@127.0.0.1" in shown
    assert KEY not in shown


def test_the_app_api_reports_an_endpoint_error_without_the_key(small, echoing):
    qa = PlanQA(llm_settings(small, echoing.base_url), index=small.index, build=False)
    with pytest.raises(gr.Error) as error:
        ask_json(qa, QUESTION)
    assert error.value.message.startswith("大模型接口调用失败（模型 'fake-qwen'，地址 ")
    assert KEY not in error.value.message


def test_the_chat_and_its_log_never_show_the_key_when_the_endpoint_fails(small, echoing, caplog):
    caplog.set_level(logging.DEBUG)
    qa = PlanQA(llm_settings(small, echoing.base_url), index=small.index, build=False)
    outputs = repr(list(respond(qa, QUESTION, [])))
    assert "大模型接口调用失败" in outputs
    assert KEY not in outputs and KEY not in caplog.text


def test_the_command_line_never_prints_or_logs_the_key(small, echoing, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # every library's debug logging: openai, httpx, httpcore, langchain
    monkeypatch.setenv("PLANQA_PLANS_DIR", str(small.settings.plans_dir))
    monkeypatch.setenv("PLANQA_ANSWER__MODE", "llm")
    monkeypatch.setenv("PLANQA_LLM__MODEL", "fake-qwen")
    monkeypatch.setenv("PLANQA_LLM__API_KEY", KEY)
    home = str(small.settings.home)
    with FakeOpenAIServer(lambda body: "示范区地区生产总值达到1500亿元[1]。") as server:
        monkeypatch.setenv("PLANQA_LLM__BASE_URL", server.base_url)
        answered = CliRunner().invoke(main, ["--home", home, "ask", "--json", QUESTION], catch_exceptions=False)
    monkeypatch.setenv("PLANQA_LLM__BASE_URL", echoing.base_url)
    failed = CliRunner().invoke(main, ["--home", home, "ask", "--json", QUESTION], catch_exceptions=False)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"  # the key was used
    assert answered.exit_code == 0 and json.loads(answered.stdout)["answer"] == "示范区地区生产总值达到1500亿元[1]。"
    assert failed.exit_code == 2 and failed.stderr.startswith("error: 大模型接口调用失败")
    for shown in (answered.stdout, answered.stderr, failed.stdout, failed.stderr, caplog.text):
        assert KEY not in shown


# -- the running app -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(lambda body: "示范区地区生产总值达到1500亿元[1]。") as server:
        yield server


@pytest.fixture(scope="module")
def app_url(small: PlanQA, model_server: FakeOpenAIServer) -> Iterator[str]:
    """The app with an LLM key and an admin password configured, and a 10 KB upload limit."""
    settings = llm_settings(small, model_server.base_url)
    settings = settings.model_copy(update={"app": AppSettings(password=PASSWORD, max_upload_mb=0.01)})
    qa = PlanQA(settings, index=small.index, build=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = build_app(qa)
    app.launch(**launch_options(settings, server_port=port, prevent_thread_lock=True))
    try:
        yield app.local_url
    finally:
        app.close()


def test_the_app_api_answers_with_the_key_configured_but_never_returns_it(app_url, model_server):
    data = Client(app_url, verbose=False).predict(QUESTION, api_name="/ask")
    assert data["answer"] == "示范区地区生产总值达到1500亿元[1]。" and data["mode"] == "llm"
    assert model_server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("path", ["", "config", "gradio_api/info", "gradio_api/openapi.json"])
def test_the_page_and_its_config_never_hold_the_key_or_password(app_url, path):
    response = httpx.get(app_url + path)
    assert response.status_code in (200, 404)
    assert KEY not in response.text and PASSWORD not in response.text


def test_files_outside_the_app_are_not_served(app_url, small, tmp_path):
    secret = tmp_path / "secret.txt"  # in the working folder of the test
    secret.write_text("机密", encoding="utf-8")
    small.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    (small.settings.uploads_dir / "served-plan.txt").write_text("机密", encoding="utf-8")
    targets = [
        "/etc/passwd",
        str(secret),
        "secret.txt",
        str(PROJECT / "rag" / "settings.py"),
        str(small.settings.uploads_dir / "served-plan.txt"),
        "../../../../etc/passwd",
    ]
    for target in targets:
        for prefix in ("gradio_api/file=", "gradio_api/file/"):
            response = httpx.get(app_url + prefix + target)
            assert response.status_code in (403, 404), (target, response.status_code)
            assert "机密" not in response.text and "root:" not in response.text


def test_the_app_does_not_fetch_loopback_urls_for_a_caller(app_url, model_server):
    response = httpx.get(f"{app_url}gradio_api/file={model_server.base_url}/models")
    assert response.status_code == 403


def test_the_server_refuses_an_upload_over_the_size_limit(app_url):
    response = httpx.post(
        app_url + "gradio_api/upload", files={"files": ("big-plan.txt", "附录。".encode() * 5000, "text/plain")}
    )
    assert response.status_code == 413


# -- one line, never a traceback: bytes that are not UTF-8, a full disk, a read-only home (issue 14, item 10) --
NOT_UTF8_QUESTION = "\udcff内江"  # what Python makes of `python -m rag ask $'\xff内江'`
NOT_UTF8 = "问题含有无法识别的字节，请以 UTF-8 文字提问。"


def home_copy(small: PlanQA, tmp_path: Path) -> Path:
    """A copy of the small index to write into (what is already there is not embedded again)."""
    home = tmp_path / "home"
    shutil.copytree(small.settings.home, home)
    return home


def run_cli(small: PlanQA, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.setenv("PLANQA_PLANS_DIR", str(small.settings.plans_dir))
    return CliRunner().invoke(main, list(args))


def test_a_question_holding_bytes_that_are_not_utf8_is_refused_by_the_question_check():
    with pytest.raises(QuestionError) as error:
        check_question(NOT_UTF8_QUESTION, 500)
    assert str(error.value) == NOT_UTF8


def test_the_command_line_refuses_a_question_of_bytes_that_are_not_utf8_in_one_line(small, monkeypatch):
    result = run_cli(small, monkeypatch, "--home", str(small.settings.home), "ask", NOT_UTF8_QUESTION)
    assert (result.exit_code, result.stderr) == (2, f"error: {NOT_UTF8}\n")


def test_the_app_api_refuses_a_question_of_bytes_that_are_not_utf8_with_its_reason(app_url):
    """JSON can carry a lone surrogate ("\\udcff"), whatever client sends it (gradio_client cannot)."""
    posted = httpx.post(
        app_url + "gradio_api/call/ask",
        content=b'{"data": ["\\udcff\\u5185\\u6c5f"]}',
        headers={"content-type": "application/json"},
    )
    events = httpx.get(app_url + f"gradio_api/call/ask/{posted.json()['event_id']}", timeout=60).text
    assert events.startswith("event: error\n")
    assert json.loads(events.split("data: ", 1)[1])["error"] == NOT_UTF8


def test_a_question_file_that_is_not_utf8_gets_one_line(small, monkeypatch, tmp_path):
    (tmp_path / "questions.jsonl").write_bytes('{"id": 1, "question": "内江'.encode() + b'\xff"}\n')
    result = run_cli(
        small, monkeypatch, "--home", str(small.settings.home), "ask", "--jsonl", str(tmp_path / "questions.jsonl")
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "error: questions.jsonl is not UTF-8 text (byte 29); save it as UTF-8 and try again\n",
    )


def test_a_question_line_escaping_a_lone_surrogate_gets_an_error_object(small, monkeypatch, tmp_path):
    (tmp_path / "questions.jsonl").write_text('{"id": "s", "question": "\\udcff内江"}\n', encoding="utf-8")
    result = run_cli(
        small, monkeypatch, "--home", str(small.settings.home), "ask", "--jsonl", str(tmp_path / "questions.jsonl")
    )
    assert result.exit_code == 0 and result.exception is None
    assert json.loads(result.stdout) == {"id": "s", "question": NOT_UTF8_QUESTION, "error": NOT_UTF8}


def test_a_file_whose_name_is_not_utf8_is_ingested_and_kept_under_a_clean_name(small, monkeypatch, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    name = os.fsdecode(b"\xff\xfe-plan.txt")  # "\udcff\udcfe-plan.txt"
    (folder / name).write_text(plan_text("字节名示范区方案"), encoding="utf-8")
    home = home_copy(small, tmp_path)
    result = run_cli(small, monkeypatch, "--home", str(home), "ingest", str(folder))
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "1 documents indexed" in result.stdout  # its row printed, the name as it can be shown
    assert (home / "uploads" / "-plan.txt").is_file()


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("CON.txt", "_CON.txt"),
        ("nul.md", "_nul.md"),
        ("Com1.docx", "_Com1.docx"),
        ("lpt9.tar.txt", "_lpt9.tar.txt"),
        ("aux .html", "_aux.html"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("con-plan.txt", "con-plan.txt"),
    ],
)
def test_a_windows_device_name_is_kept_under_another_name(name, kept):
    assert kept_name(name) == kept


def test_a_file_named_like_a_windows_device_is_kept_under_another_name(small, monkeypatch, tmp_path):
    (tmp_path / "CON.txt").write_text(plan_text("设备名示范区方案"), encoding="utf-8")
    home = home_copy(small, tmp_path)
    result = run_cli(small, monkeypatch, "--home", str(home), "ingest", str(tmp_path / "CON.txt"))
    assert result.exit_code == 0, result.output
    kept = {p.name for p in (home / "uploads").iterdir()}
    assert "_CON.txt" in kept and "CON.txt" not in kept


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every copy into the journal (the first thing a write of a new file puts on disk) finds the disk full."""

    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rag.store.journal.shutil.copyfile", no_space)


def test_a_full_disk_during_an_ingest_gets_one_line_and_leaves_the_index_as_it_was(small, monkeypatch, tmp_path):
    (tmp_path / "new-plan.txt").write_text(plan_text("满盘示范区方案"), encoding="utf-8")
    home = home_copy(small, tmp_path)
    before = [d.title for d in Library(small.settings.model_copy(update={"home": home})).store.documents()]
    full_disk(monkeypatch)
    result = run_cli(small, monkeypatch, "--home", str(home), "ingest", str(tmp_path / "new-plan.txt"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        f"error: the disk holding {home} is full; free some space and try again (the index keeps its last complete state)"
    )
    monkeypatch.undo()
    after = Library(small.settings.model_copy(update={"home": home}))
    assert [d.title for d in after.store.documents()] == before
    assert not after.ingest([tmp_path / "new-plan.txt"]).failed  # the batch left behind is thrown away


def test_a_full_disk_stops_a_write_through_the_api_with_a_storage_error(small, monkeypatch, tmp_path):
    (tmp_path / "new-plan.txt").write_text(plan_text("满盘接口示范区方案"), encoding="utf-8")
    library = Library(small.settings.model_copy(update={"home": home_copy(small, tmp_path)}))
    full_disk(monkeypatch)
    with pytest.raises(StorageError, match=r"^the disk holding .+ is full; free some space and try again"):
        library.ingest([tmp_path / "new-plan.txt"])


@pytest.mark.parametrize("command", [["ask", QUESTION], ["ingest"]], ids=["ask", "ingest"])
def test_a_read_only_home_gets_one_line(small, monkeypatch, command):
    """Chroma writes when it opens a store: on a read-only file system SQLite refuses at once."""

    def read_only(*_args, **_kwargs):
        raise InternalError("error returned from database: (code: 8) attempt to write a readonly database")

    monkeypatch.setattr(chromadb, "PersistentClient", read_only)
    home = small.settings.home
    result = run_cli(small, monkeypatch, "--home", str(home), *command)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {home} is read-only, and PlanQA keeps its index there; make it writable or set PLANQA_HOME to a "
        "folder that is (the index keeps its last complete state)\n",
    )
