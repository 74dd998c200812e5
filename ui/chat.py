"""The 问答 tab: citizens ask in plain words and see the answer, its sources and the clause text."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from rag.api import PlanQA, UnknownDocument
from rag.query.checks import QuestionError, check_question
from rag.records import Answer
from ui import render
from ui.serving import PAGE

log = logging.getLogger(__name__)

EXAMPLES = [
    "内江和自贡离得有多远？",
    "川南渝西地区到2025年地区生产总值要达到多少？",
    "綦江和万盛的发展定位是什么？",
    "成资同城化2023年工作要点第10条讲了什么？",
]
SEARCHING = "正在查找相关条款…"
CHAT_PLACEHOLDER = (
    "**您好！** 请用日常的话提问规划文件里的内容，例如两地的距离、发展目标、某条条款讲了什么。"
    "每个回答都会标明出自哪份文件的哪一条。可以从下面的例子开始："
)
USER_ERRORS = (QuestionError, UnknownDocument)

# Copy with the Clipboard API, falling back to a hidden textarea where it is missing (plain http
# on a LAN address is not a secure context); the button says what happened for a moment.
COPY_JS = """
(text) => {
  const button = document.querySelector('#copy-button');
  const say = (label) => {
    if (!button) return;
    const before = button.dataset.label || button.textContent;
    button.dataset.label = before;
    button.textContent = label;
    setTimeout(() => { button.textContent = before; }, 1600);
  };
  if (!text) { say('还没有可复制的回答'); return; }
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    const ok = document.execCommand('copy'); area.remove(); say(ok ? '已复制 ✓' : '复制失败');
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => say('已复制 ✓'), fallback);
  } else { fallback(); }
}
"""

# A `[n]` link shows card n of its own answer: in the sources panel (that answer's group made the one
# showing) or, where the panel is hidden (a phone), in the sources under the message. The card opens
# at its whole article, quotes highlighted, and scrolls into view. One listener for the whole page.
CITE_LINK_JS = """
if (!window.planqaCiteLinks) {
  window.planqaCiteLinks = true;
  const KEEP_IN_VIEW_MS = 700;
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite-link');
    const target = link && /^#cite-(\\d+)-(\\d+)$/.exec(link.getAttribute('href') || '');
    if (!target) return;
    event.preventDefault();
    const [, key, n] = target;
    const panel = document.querySelector('#citations');
    let card;
    if (panel && panel.offsetParent !== null) {
      panel.querySelectorAll('section.cites').forEach((group) => {
        group.classList.toggle('current', group.dataset.answer === key);
      });
      card = document.getElementById(`cite-${key}-${n}`);
    } else {  // the chat's sanitiser drops data- attributes: the ids say whose card it is
      card = document.getElementById(`msg-${key}-${n}`);
      const sources = card?.closest('details.msg-sources');
      if (sources) sources.open = true;
    }
    if (!card) return;
    const full = card.querySelector('details.cite-full');
    if (full) full.open = true;
    card.classList.remove('flash');
    void card.offsetWidth;  // restart the flash on a second click
    card.classList.add('flash');
    // Gradio's chat pins itself to the bottom 300 ms after it sees itself there (opening the card makes
    // it look so): keep the card in view, frame by frame, until those pins have passed.
    const until = performance.now() + KEEP_IN_VIEW_MS;
    const keep = () => {
      card.scrollIntoView({block: 'start'});
      if (performance.now() < until) requestAnimationFrame(keep);
    };
    keep();
  });
}
"""

Outputs = tuple[list[dict[str, Any]], Any, str, Any, Any, Any]


def respond(
    planqa: PlanQA, question: str, history: list[dict[str, Any]] | None, answers: Sequence[Answer] = ()
) -> Iterator[Outputs]:
    """Stream one answer into the chat: (history, sources panel, notice, copy text, question box,
    answers so far). Each answer keeps its sources: its message carries them, and the panel holds
    every answer's cards."""
    history = list(history or [])
    try:
        text = check_question(question, planqa.settings.answer.max_question_chars)
    except QuestionError as error:
        yield history, gr.skip(), render.notice(str(error), "error"), gr.skip(), gr.skip(), gr.skip()
        return
    history += [{"role": "user", "content": render.md_escape(text)}, {"role": "assistant", "content": SEARCHING}]
    yield history, render.sources_panel(answers, pending=True), "", "", "", gr.skip()
    written = ""
    answer: Answer | None = None
    try:
        for piece in planqa.stream(text, history=answers[-planqa.settings.query.history_turns :]):
            if isinstance(piece, str):
                written += piece
                history[-1] = {"role": "assistant", "content": render.md_escape(written)}
                yield history, gr.skip(), "", gr.skip(), gr.skip(), gr.skip()
            else:
                answer = piece
    except USER_ERRORS as error:
        yield history[:-2], render.sources_panel(answers), render.notice(str(error), "error"), "", text, gr.skip()
        return
    except Exception as error:  # an LLM endpoint down, a broken index: say so in the chat, keep the app up
        log.exception("answering %r failed", text)
        history[-1] = {"role": "assistant", "content": render.md_escape(f"抱歉，回答时出错：{error}")}
        yield (
            history,
            render.sources_panel(answers),
            render.notice(f"回答时出错：{error}", "error"),
            "",
            text,
            gr.skip(),
        )
        return
    assert answer is not None, "PlanQA.stream ends with the Answer"
    answers = [*answers, answer]
    understood = render.understood_as(answer)
    history[-1] = {"role": "assistant", "content": understood + render.chat_message(answer, str(len(answers)))}
    yield history, render.sources_panel(answers), "", render.answer_plain(answer), gr.skip(), answers


def clear() -> tuple[list, str, str, str, str, list]:
    return [], render.sources_panel([]), "", "", "", []


def build_chat_tab(planqa: PlanQA) -> None:
    """The chat, its input row and examples on the left, the citation cards on the right."""
    with gr.Row(equal_height=False, elem_classes="chat-layout"):
        with gr.Column(scale=3, min_width=340):
            chatbot = gr.Chatbot(
                show_label=False,
                elem_id="chatbot",
                height=480,
                buttons=[],
                feedback_options=None,
                placeholder=CHAT_PLACEHOLDER,
                examples=[{"text": question} for question in EXAMPLES],
                layout="bubble",
            )
            notice = gr.HTML("", elem_id="chat-notice")
            with gr.Row(elem_classes="ask-row"):
                question = gr.Textbox(
                    show_label=False,
                    placeholder="输入问题，按回车提问",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    min_width=200,
                    elem_id="question",
                    container=False,
                )
                ask = gr.Button("提问", variant="primary", scale=1, min_width=72, elem_id="ask-button")
            with gr.Row(elem_classes="chat-tools"):
                copy = gr.Button("复制答案及出处", size="sm", elem_id="copy-button", scale=0, min_width=120)
                wipe = gr.Button("清空对话", size="sm", elem_id="clear-button", scale=0, min_width=90)
        with gr.Column(scale=2, min_width=300, elem_classes="cites-column"):
            cards = gr.HTML(render.sources_panel([]), elem_id="citations", js_on_load=CITE_LINK_JS)
    copy_text = gr.Textbox(visible="hidden", elem_id="copy-text")
    answers = gr.State([])

    def answer_stream(text: str, history: list[dict[str, Any]], done: list[Answer]) -> Iterator[Outputs]:
        yield from respond(planqa, text, history, done)

    def example_stream(history: list[dict[str, Any]], done: list[Answer], chosen: gr.SelectData) -> Iterator[Outputs]:
        yield from respond(planqa, chosen.value["text"], history, done)

    outputs = [chatbot, cards, notice, copy_text, question, answers]
    for trigger in (question.submit, ask.click):
        trigger(
            answer_stream,
            [question, chatbot, answers],
            outputs,
            api_visibility="private",
            show_progress="minimal",
            concurrency_id=PAGE,
        )
    chatbot.example_select(
        example_stream,
        [chatbot, answers],
        outputs,
        api_visibility="private",
        show_progress="minimal",
        concurrency_id=PAGE,
    )
    wipe.click(clear, None, outputs, api_visibility="private")
    chatbot.clear(lambda: clear()[1:], None, outputs[1:], api_visibility="private")  # its bin icon
    copy.click(None, copy_text, None, js=COPY_JS, api_visibility="private")
