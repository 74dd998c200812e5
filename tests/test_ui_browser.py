"""The app in a real browser: headless Chromium (Playwright) against the app started on loopback over
a writable copy of the built index. What a citizen, a staff member and an evaluator click, and what
they must see.

Screenshots of every tab (desktop and phone width) are written to this module's temporary folder;
set UI_SCREENSHOTS=docs to also save them as the committed docs/screenshot-*.png, and
UI_EVAL_DATASET=eval/qa.jsonl to run the whole suite for the eval tab's picture:

    UI_SCREENSHOTS=docs UI_EVAL_DATASET=eval/qa.jsonl ./test.sh tests/test_ui_browser.py -k screenshots
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT, copy_home, make_settings, serving
from fake_openai_server import FakeOpenAIServer
from playwright.sync_api import Browser, Page, expect

from rag.api import PlanQA
from rag.records import REFUSAL
from rag.search.keyword import tokenize
from rag.settings import AnswerSettings, AppSettings, LLMSettings
from ui import render
from ui.access import WRONG_PASSWORD
from ui.chat import SEARCHING
from ui.documents import wrong_type
from ui.evaltab import NO_REPORT
from ui.verify import COMPARE_K, WEAK_MATCH_SCORE

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ANSWER_MS = 60_000  # one answer on a busy two-core machine takes 1–5 s; leave room
EVAL_MS = 300_000
TABLE_EDGES = "┏┃┡│└"  # the first character of every line of a rich table
expect.set_options(timeout=ANSWER_MS)  # uploads and answers outlast Playwright's 5 s default when the machine is busy
NEIZI = "内江自贡同城化发展总体方案"
DISTANCE = "内江和自贡离得有多远？"
UNANSWERABLE = "周杰伦什么时候来内江开演唱会？"
PASSWORD = "s3cret-for-tests"
INVENTED = "两市计划于2030年合并为一个城市"
NEW_PLAN_TITLE = "青山市智慧农业发展试点方案"
NEW_PLAN = f"""{NEW_PLAN_TITLE}

一、总体目标
（一）发展目标。到2026年，全市建成智慧农业示范基地12个，农业生产信息化率达到45%。
（二）基本原则。坚持数据赋能、试点先行、农民受益。

二、重点任务
（三）建设数字农场。在青山湖片区建设无人化数字农场3个，推广水肥一体化灌溉。
（四）培育农业数据人才。每年培训新型职业农民2000人次。
"""


# -- the apps under test -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the built index (the session's `home_copy` is per test)."""
    return copy_home(built_home, tmp_path_factory.mktemp("ui-browser"))


@pytest.fixture(scope="module")
def app_planqa(home: Path) -> PlanQA:
    """PlanQA over this module's writable copy (the session's `planqa` is read-only), with an admin
    password: writes are off without one."""
    return PlanQA(make_settings(home, app=AppSettings(password=PASSWORD)), build=False)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def eval_command(home: Path, reports: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The real suite on a small slice of the dev set: the first question of every type
    (UI_EVAL_DATASET names another dataset, e.g. the whole eval/qa.jsonl for the docs' picture)."""
    dataset = os.environ.get("UI_EVAL_DATASET")
    if not dataset:
        chosen: dict[str, str] = {}
        for line in (PROJECT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                chosen.setdefault(json.loads(line)["type"], line)
        dataset = str(tmp_path_factory.mktemp("eval") / "slice.jsonl")
        Path(dataset).write_text("\n".join(chosen.values()) + "\n", encoding="utf-8")
    return [
        sys.executable,
        "-m",
        "eval",
        "--dataset",
        str(PROJECT / dataset),
        "--out",
        str(reports),
        "--home",
        str(home),
    ]


@pytest.fixture(scope="module")
def app_url(app_planqa: PlanQA, reports: Path, eval_command: list[str]) -> Iterator[str]:
    with serving(app_planqa, reports_dir=reports, eval_command=eval_command) as url:
        yield url


def invent_a_sentence(body: dict) -> str:
    """A remote model that quotes the distance clause faithfully, then adds a sentence of its own."""
    prompt = body["messages"][-1]["content"]
    number = next(
        n
        for n, text in re.findall(r"^\[(\d+)\] 《[^\n]*\n(.*?)(?=\n\n\[\d+\] |\n</条款>)", prompt, re.M | re.S)
        if "28公里" in text
    )
    return f"两市中心城区直线距离仅28公里[{number}]。{INVENTED}[{number}]。"


@pytest.fixture(scope="module")
def llm_url(app_planqa: PlanQA, reports: Path) -> Iterator[str]:
    """The same index answered by a (fake, loopback) OpenAI-compatible model."""
    with FakeOpenAIServer(invent_a_sentence) as server:
        settings = make_settings(
            app_planqa.settings.home,
            answer=AnswerSettings(mode="llm"),
            llm=LLMSettings(base_url=server.base_url, model="fake-qwen"),
        )
        with serving(PlanQA(settings, index=app_planqa.index, build=False), reports_dir=reports) as url:
            yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page in Chinese (Gradio's own labels follow the browser's language)."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(ANSWER_MS)
    yield context.new_page()
    context.close()


# -- steps -------------------------------------------------------------------------------------
def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#question textarea")


def tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def ask(page: Page, question: str) -> str:
    """Ask in the chat and wait for the finished answer; returns the last bot message's text."""
    page.fill("#question textarea", question)
    page.click("#ask-button")
    page.wait_for_function(
        "(q) => (document.querySelector('#copy-text textarea')?.value || '').startsWith('问：' + q)", arg=question
    )
    return page.locator("#chatbot [data-testid=bot]").last.inner_text()


def pick(page: Page, dropdown: str, title: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=title, exact=True).click()


def shoot(page: Page, folder: Path, name: str) -> Path:
    """A full-page screenshot, also saved under $UI_SCREENSHOTS when set."""
    path = folder / f"screenshot-{name}.png"
    page.mouse.move(0, 0)  # no hover highlight on the last button clicked
    page.screenshot(path=str(path), full_page=True)
    if target := os.environ.get("UI_SCREENSHOTS"):
        folder = PROJECT / target  # relative to the project: tests run in a temporary folder
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    return path


def record_progress(page: Page) -> None:
    """Note, every 20 ms from now on while the run reports its progress (the status line's own text
    shows), the ids of the components showing a progress indicator: sampled once, a short run could
    end before the sample."""
    page.evaluate(
        """() => {
          window.progressSeen = new Set();
          window.progressTimer = setInterval(() => {
            const running = document.querySelector('#eval-status .progress-text');
            if (running === null || running.offsetParent === null) return;
            document.querySelectorAll('.progress-text, .progress-bar, .eta-bar').forEach((e) => {
              if (e.offsetParent !== null) window.progressSeen.add(e.closest('[id]').id);
            });
          }, 20);
        }"""
    )


def png_width(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


# -- 问答 -------------------------------------------------------------------------------------
def test_an_answer_shows_a_citation_card_for_its_clause(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    message = ask(page, DISTANCE)
    assert "28公里" in message and SEARCHING not in message
    card = page.locator("#citations .cite-card").first
    expect(card).to_have_attribute("data-clause", "二、（一）")
    expect(card.locator(".cite-doc")).to_have_text(f"《{NEIZI}》")
    expect(card.locator(".cite-ref")).to_have_text("二、（一） 空间相近人文相亲")
    card.locator("summary").click()
    expect(card.locator("mark.quote").first).to_be_visible()
    expect(card.locator("mark.quote").first).to_contain_text("两市中心城区直线距离仅28公里")


def test_an_example_question_is_answered_when_clicked(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    example = page.locator("#chatbot button.example").first
    question = example.inner_text()
    example.click()
    page.wait_for_function(
        "(q) => (document.querySelector('#copy-text textarea')?.value || '').startsWith('问：' + q)", arg=question
    )
    expect(page.locator("#chatbot [data-testid=user]")).to_have_text(question)
    expect(page.locator("#citations .cite-card").first).to_be_visible()


def test_an_unanswerable_question_is_refused_with_possibly_related_clauses(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    message = ask(page, UNANSWERABLE)
    assert message.startswith(REFUSAL)
    expect(page.locator("#citations .cites-title")).to_have_text("可能相关的条款（未据此作答，仅供参考）")
    cards = page.locator("#citations .cite-card")
    assert cards.count() == page.locator("#citations .cite-card.related").count() > 0


def test_an_empty_question_gets_a_message_not_an_answer(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    page.click("#ask-button")
    expect(page.locator("#chat-notice .notice-error")).to_have_text("问题不能为空。")
    assert page.locator("#chatbot [data-testid=user]").count() == 0


def test_a_too_long_question_gets_a_message_with_the_limit(page: Page, app_url: str, app_planqa: PlanQA) -> None:
    limit = app_planqa.settings.answer.max_question_chars
    open_app(page, app_url)
    page.fill("#question textarea", "问" * (limit + 1))
    page.click("#ask-button")
    expect(page.locator("#chat-notice .notice-error")).to_have_text(f"问题过长：{limit + 1} 字，上限 {limit} 字。")


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(page: Page, app_url: str, app_planqa: PlanQA) -> None:
    open_app(page, app_url)
    ask(page, DISTANCE)
    page.click("#copy-button")
    expect(page.locator("#copy-button")).to_have_text("已复制 ✓")
    assert page.evaluate("navigator.clipboard.readText()") == render.answer_plain(app_planqa.ask(DISTANCE))


def test_clearing_the_chat_clears_the_citations(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    ask(page, DISTANCE)
    page.click("#clear-button")
    expect(page.locator("#citations .cites-empty")).to_have_text(render.EMPTY_CITATIONS)
    assert page.locator("#chatbot [data-testid=bot]").count() == 0


def test_a_models_unsupported_sentence_is_marked(page: Page, llm_url: str) -> None:
    open_app(page, llm_url)
    ask(page, DISTANCE)
    bot = page.locator("#chatbot [data-testid=bot]").last
    expect(bot.locator("mark.unsupported")).to_have_text(INVENTED)
    expect(bot.locator(".unsupported-note")).to_have_text("⚠ 有 1 句未能在所引条款中核实（已标出），请以条款原文为准。")


# -- 核对 -------------------------------------------------------------------------------------
def test_search_lists_the_retrievers_clauses_with_query_terms_marked(
    page: Page, app_url: str, app_planqa: PlanQA
) -> None:
    query = "轨道交通"
    open_app(page, app_url)
    tab(page, "核对")
    page.get_by_label("关键词").check()
    page.fill("#search-query textarea", query)
    page.click("#search-button")
    expect(page.locator("#search-summary")).to_have_text("全部文件 · 关键词检索 · 前 5 条")
    refs = page.locator("#search-results .hit-card").evaluate_all("cards => cards.map(c => c.dataset.clause)")
    assert refs == [h.article.clause_ref for h in app_planqa.search(query, k=5, mode="keyword")]
    marked = page.locator("#search-results mark.hl").all_inner_texts()
    terms = tokenize(query)
    assert marked and all(any(term in text for term in terms) and text in query for text in marked)


def test_the_outline_opens_any_article_in_full_with_its_offsets(page: Page, app_url: str, app_planqa: PlanQA) -> None:
    document = next(d for d in app_planqa.documents() if d.title == NEIZI)
    article = next(a for a in app_planqa.articles(document.doc_id) if a.clause_ref == "四、（二）")
    text = app_planqa.article_text(article)
    open_app(page, app_url)
    tab(page, "核对")
    tab(page, "文件目录")
    pick(page, "#outline-doc", NEIZI)
    expect(page.locator("#outline .ol-title")).to_have_text(f"《{NEIZI}》")
    page.locator('#outline a[data-clause="四、（二）"]').click()
    view = page.locator("#article-view .article-view")
    expect(view).to_have_attribute("data-clause", "四、（二）")
    expect(view.locator(".offsets")).to_have_text(f"起止位置：第 {article.start}–{article.start + len(text)} 字")
    assert view.locator(".article-text").text_content() == text


def test_compare_shows_each_plans_best_clauses_side_by_side(page: Page, app_url: str, app_planqa: PlanQA) -> None:
    first, second = app_planqa.documents()[:2]
    expected = app_planqa.compare("交通", [first.doc_id, second.doc_id], k=3)
    open_app(page, app_url)
    tab(page, "核对")
    tab(page, "对照阅读")
    page.fill("#compare-topic textarea", "交通")
    page.click("#compare-button")
    for side, document in (("#compare-left", first), ("#compare-right", second)):
        expect(page.locator(f"{side} .compare-title")).to_have_text(f"《{document.title}》")
        refs = page.locator(f"{side} .hit-card").evaluate_all("cards => cards.map(c => c.dataset.clause)")
        assert refs == [h.article.clause_ref for h in expected[document.doc_id]]


def test_compare_marks_the_clauses_that_match_the_topic_weakly(page: Page, app_url: str, app_planqa: PlanQA) -> None:
    first, second = app_planqa.documents()[:2]
    topic = "交通基础设施"
    expected = app_planqa.compare(topic, [first.doc_id, second.doc_id], k=COMPARE_K)
    weak = [[h.score < WEAK_MATCH_SCORE for h in expected[d.doc_id]] for d in (first, second)]
    assert any(any(flags) for flags in weak) and not all(all(flags) for flags in weak)  # both kinds on the page
    open_app(page, app_url)
    tab(page, "核对")
    tab(page, "对照阅读")
    page.fill("#compare-topic textarea", topic)
    page.click("#compare-button")
    for side, flags in zip(("#compare-left", "#compare-right"), weak):
        cards = page.locator(f"{side} .hit-card")
        expect(cards).to_have_count(len(flags))
        assert cards.evaluate_all("cs => cs.map(c => c.classList.contains('weak'))") == flags
        marks = cards.evaluate_all("cs => cs.map(c => c.querySelector('.weak-mark')?.textContent || '')")
        assert marks == [render.WEAK_MARK if flag else "" for flag in flags]


# -- 文件 -------------------------------------------------------------------------------------
def test_an_uploaded_plan_is_answerable_until_it_is_deleted(
    page: Page, app_url: str, app_planqa: PlanQA, tmp_path: Path
) -> None:
    plan = tmp_path / "qingshan-zhihui-nongye-2024.txt"
    plan.write_text(NEW_PLAN, encoding="utf-8")
    kept = app_planqa.settings.uploads_dir / plan.name
    open_app(page, app_url)
    tab(page, "文件")
    page.fill("#admin-password input", PASSWORD)
    page.set_input_files("#upload-file input[type=file]", str(plan))
    page.click("#upload-button")
    expect(page.locator("#upload-notice .notice-ok")).to_have_text(
        re.compile(rf"^已索引《{NEW_PLAN_TITLE}》：4 个条款，用时 \d+\.\d 秒。现在可以在“问答”中提问。$")
    )
    expect(page.locator("#documents-table")).to_contain_text(NEW_PLAN_TITLE)
    assert kept.read_bytes() == plan.read_bytes()

    tab(page, "问答")
    message = ask(page, "青山市到2026年要建成多少个智慧农业示范基地？")
    assert "12个" in message
    expect(page.locator("#citations .cite-card .cite-doc").first).to_have_text(f"《{NEW_PLAN_TITLE}》")

    tab(page, "文件")
    pick(page, "#delete-doc", NEW_PLAN_TITLE)
    page.click("#delete-button")
    expect(page.locator("#delete-confirm .notice-warn").first).to_have_text(
        f"确定删除《{NEW_PLAN_TITLE}》吗？它的全部条款将从索引中移除。"
    )
    page.click("#delete-confirm-button")
    expect(page.locator("#delete-notice .notice-ok")).to_have_text(f"已删除《{NEW_PLAN_TITLE}》及其全部条款。")
    expect(page.locator("#documents-table")).not_to_contain_text(NEW_PLAN_TITLE)
    assert not kept.exists()
    assert NEW_PLAN_TITLE not in [d.title for d in app_planqa.documents()]


def test_an_upload_without_the_password_is_refused_on_the_password_box(
    page: Page, app_url: str, app_planqa: PlanQA, tmp_path: Path
) -> None:
    plan = tmp_path / "qingshan-zhihui-nongye-2024.txt"
    plan.write_text(NEW_PLAN, encoding="utf-8")
    open_app(page, app_url)
    tab(page, "文件")
    expect(page.locator("#admin-password input")).to_be_visible()
    page.set_input_files("#upload-file input[type=file]", str(plan))
    page.click("#upload-button")
    expect(page.locator("#admin-password div.validation-error")).to_have_text(WRONG_PASSWORD)
    expect(page.locator("#documents-table")).not_to_contain_text(NEW_PLAN_TITLE)
    assert not (app_planqa.settings.uploads_dir / plan.name).exists()
    assert NEW_PLAN_TITLE not in [d.title for d in app_planqa.documents()]


def test_a_file_of_another_type_is_refused_in_chinese_before_it_is_sent(
    page: Page, app_url: str, app_planqa: PlanQA, tmp_path: Path
) -> None:
    sheet = tmp_path / "plan.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/upload" in request.url else None)
    open_app(page, app_url)
    tab(page, "文件")
    page.fill("#admin-password input", PASSWORD)
    page.set_input_files("#upload-file input[type=file]", str(sheet))
    expect(page.locator("#upload-notice .notice-error")).to_have_text(
        wrong_type(".xlsx", app_planqa.settings.ingest.extensions)
    )
    expect(page.locator(".toast-body")).to_have_count(0)  # no pop-up of Gradio's own (in English)
    assert sent == []
    assert not (app_planqa.settings.uploads_dir / sheet.name).exists()


# -- 评测 -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def eval_run(browser: Browser, app_url: str, reports: Path) -> Iterator[tuple[Page, list[str]]]:
    """The eval tab after a run of the suite from an empty report folder, and the components that
    showed a progress indicator while it ran."""
    (reports / "latest.json").unlink(missing_ok=True)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(ANSWER_MS)
    page = context.new_page()
    open_app(page, app_url)
    tab(page, "评测")
    expect(page.locator("#eval-report .notice-info")).to_have_text(NO_REPORT)
    page.fill("#eval-password input", PASSWORD)
    record_progress(page)
    page.click("#eval-run")
    expect(page.locator("#eval-status .progress-text")).to_be_visible()
    expect(page.locator("#eval-status .notice-ok")).to_have_text("评测完成，表格已更新。", timeout=EVAL_MS)
    yield page, page.evaluate("() => { clearInterval(window.progressTimer); return [...window.progressSeen]; }")
    context.close()


def test_the_eval_tab_runs_the_suite_and_shows_its_headline_numbers(
    eval_run: tuple[Page, list[str]], reports: Path
) -> None:
    page, _ = eval_run
    report = json.loads((reports / "latest.json").read_text(encoding="utf-8"))
    hit = report["summary"]["overall"]["hit@1"]
    expect(page.locator('#eval-report .tile[data-metric="hit@1"] .tile-value')).to_have_text(render.metric_value(hit))
    types = page.locator("#eval-report table.by-type thead th[data-type]").evaluate_all(
        "cells => cells.map(c => c.dataset.type)"
    )
    assert types == list(report["summary"]["by_type"])


def test_a_running_suite_shows_one_progress_indicator(eval_run: tuple[Page, list[str]]) -> None:
    _, during = eval_run
    assert during == ["eval-status"]  # not over the report, nor over the log


def test_the_eval_logs_tables_line_up(eval_run: tuple[Page, list[str]]) -> None:
    page, _ = eval_run
    page.locator("#eval-log-box").click()
    log = page.locator("#eval-log textarea")
    tables = table_blocks(log.input_value())
    assert tables and all(len(rows) > 3 for rows in tables)
    for rows in tables:
        widths = log.evaluate(
            """(area, rows) => {
              const pen = document.createElement('canvas').getContext('2d');
              pen.font = getComputedStyle(area).font;
              return rows.map((row) => Math.round(pen.measureText(row).width));
            }""",
            rows,
        )
        assert len(set(widths)) == 1, dict(zip(rows, widths))
    assert log.evaluate("area => getComputedStyle(area).whiteSpace") == "pre"  # long rows scroll, never wrap


def table_blocks(log: str) -> list[list[str]]:
    """The tables rich printed in a log: runs of lines drawn with box characters."""
    blocks: list[list[str]] = []
    previous = False
    for line in log.splitlines():
        row = line[:1] in TABLE_EDGES
        if row and not previous:
            blocks.append([])
        if row:
            blocks[-1].append(line)
        previous = row
    return blocks


# -- screenshots -------------------------------------------------------------------------------
def test_screenshots_of_every_tab_at_desktop_and_phone_width(
    browser: Browser, app_url: str, reports: Path, eval_command: list[str], tmp_path: Path
) -> None:
    if not (reports / "latest.json").exists():
        import subprocess

        subprocess.run(eval_command, cwd=PROJECT, check=True, capture_output=True, timeout=EVAL_MS / 1000)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(ANSWER_MS)
    page = context.new_page()
    open_app(page, app_url)
    ask(page, DISTANCE)
    page.locator("#citations summary").first.click()
    shots = [shoot(page, tmp_path, "chat")]
    tab(page, "核对")
    page.fill("#search-query textarea", "轨道交通建设")
    page.click("#search-button")
    page.wait_for_selector("#search-results .hit-card")
    shots.append(shoot(page, tmp_path, "verify"))
    tab(page, "文件")
    shots.append(shoot(page, tmp_path, "documents"))
    tab(page, "评测")
    page.wait_for_selector("#eval-report .tile")
    shots.append(shoot(page, tmp_path, "eval"))
    context.close()
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone.set_default_timeout(ANSWER_MS)
    page = phone.new_page()
    open_app(page, app_url)
    ask(page, DISTANCE)
    phone_shot = shoot(page, tmp_path, "phone")
    phone.close()
    assert [png_width(p) for p in shots] == [DESKTOP["width"]] * 4
    assert png_width(phone_shot) == PHONE["width"]
