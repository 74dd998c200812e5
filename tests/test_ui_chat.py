"""The chat's sources in a real browser (headless Chromium, Playwright): every answer keeps its own
cards, each `[n]` opens its card, every quoted sentence is highlighted and readable in light and dark
mode, and on a phone the sources sit, collapsed, right under their answer.

One app (read-only: the session's index) and one page per viewport and colour scheme serve the whole
module; the dark phone page is also the committed docs/screenshot-dark.png when UI_SCREENSHOTS=docs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from conftest import serving
from playwright.sync_api import Browser, Page, expect
from test_ui_browser import (
    ANSWER_MS,
    DESKTOP,
    DISTANCE,
    NEIZI,
    PHONE,
    ask,
    open_app,
    pick,
    png_width,
    shoot,
    tab,
)

from ingest.text import MARKER
from rag.api import PlanQA
from ui.verify import SAME_DOCUMENT

POSITIONS = "内自同城化的四个发展定位是什么？"  # one article, four quoted sentences
PARTIAL = "川南渝西的发展目标和交通建设分别是什么？"  # answered with the goals only: nothing on transport
WCAG_AA = 4.5  # least contrast of normal text (WCAG 2.x, level AA)
MIN_TITLE_CHARS_PER_LINE = 15  # a title in a column of its own; two 170-px columns gave it two
FIRST_LINE_PX = 24  # at most the message's own padding above its first line
MESSAGE_TOP_JS = "e => e.getBoundingClientRect().top - e.closest('[data-testid=bot]').getBoundingClientRect().top"
PIN_SETTLE_MS = 1500  # longer than the chat's own scroll-to-bottom after its content grows (300 ms)

# WCAG contrast between an element's text and what is painted under it: its own background over
# those of its ancestors (semi-transparent layers composited), the page's canvas last.
CONTRAST_JS = """(element) => {
  const parse = (text) => {
    const parts = (text.match(/[\\d.]+/g) || []).map(Number);
    return [parts[0] || 0, parts[1] || 0, parts[2] || 0, parts.length > 3 ? parts[3] : 1];
  };
  const layers = [];
  for (let e = element; e; e = e.parentElement) {
    const colour = parse(getComputedStyle(e).backgroundColor);
    if (/transparent/.test(getComputedStyle(e).backgroundColor) || colour[3] === 0) continue;
    layers.push(colour);
    if (colour[3] >= 1) break;
  }
  let under = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) {
    under = [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)];
  }
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const [light, dark] = [luminance(parse(getComputedStyle(element).color)), luminance(under)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}"""


@pytest.fixture(scope="module")
def app_url(planqa: PlanQA) -> Iterator[str]:
    with serving(planqa) as url:
        yield url


@pytest.fixture(scope="module")
def new_page(browser: Browser, app_url: str) -> Iterator[Callable[..., Page]]:
    """Pages of the app in Chinese, at desktop or phone size, light or dark; closed with the module."""
    contexts = []

    def make(*, phone: bool = False, scheme: str = "light") -> Page:
        size = dict(viewport=PHONE, is_mobile=True, has_touch=True) if phone else dict(viewport=DESKTOP)
        context = browser.new_context(locale="zh-CN", color_scheme=scheme, **size)
        context.set_default_timeout(ANSWER_MS)
        contexts.append(context)
        page = context.new_page()
        open_app(page, app_url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def desktop(new_page: Callable[..., Page]) -> Page:
    """A desktop chat holding two answers: the distance (answer 1), then the four positions (answer 2)."""
    page = new_page()
    ask(page, DISTANCE)
    ask(page, POSITIONS)
    return page


@pytest.fixture(scope="module")
def phones(new_page: Callable[..., Page]) -> dict[str, Page]:
    """A phone chat that asked the distance, in each colour scheme."""
    pages = {}
    for scheme in ("light", "dark"):
        pages[scheme] = new_page(phone=True, scheme=scheme)
        ask(pages[scheme], DISTANCE)
    return pages


def bot(page: Page, k: int):
    """The k-th answer of the chat (1-based)."""
    return page.locator("#chatbot [data-testid=bot]").nth(k - 1)


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] < height and box["y"] + min(box["height"], height / 4) <= height


# -- each answer its own sources, on a desktop ---------------------------------------------------
def test_the_panel_shows_the_latest_answers_sources_and_keeps_the_earlier_ones(desktop: Page) -> None:
    groups = desktop.locator("#citations section.cites")
    assert groups.evaluate_all("gs => gs.map(g => g.dataset.answer)") == ["1", "2"]
    assert desktop.locator("#citations .cites-question").all_text_contents() == [f"问：{DISTANCE}", f"问：{POSITIONS}"]
    expect(desktop.locator('#citations section.cites[data-answer="2"]')).to_be_visible()
    expect(desktop.locator('#citations section.cites[data-answer="1"]')).to_be_hidden()


def test_every_marker_links_to_its_own_answers_card(desktop: Page, planqa: PlanQA) -> None:
    for k, question in ((1, DISTANCE), (2, POSITIONS)):
        answer = planqa.ask(question)
        hrefs = bot(desktop, k).locator("a.cite-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs == [f"#cite-{k}-{n}" for n in MARKER.findall(answer.text)]


def test_every_quoted_sentence_is_highlighted_in_its_card(desktop: Page, planqa: PlanQA) -> None:
    citation = planqa.ask(POSITIONS).citations[0]
    assert len(citation.quotes) == 4
    bot(desktop, 2).locator("a.cite-link").first.click()
    card = desktop.locator("#cite-2-1")
    expect(card.locator(".cite-quote p")).to_have_text(citation.quotes)
    expect(card.locator("mark.quote")).to_have_text(citation.quotes)
    expect(card.locator("mark.quote").last).to_be_visible()


def test_an_earlier_answers_marker_opens_its_own_card(desktop: Page) -> None:
    bot(desktop, 1).locator("a.cite-link").first.click()
    card = desktop.locator("#cite-1-1")
    expect(card).to_be_visible()
    expect(card.locator(".cite-doc")).to_have_text(f"《{NEIZI}》")
    expect(card.locator(".cite-ref")).to_have_text("二、（一） 空间相近人文相亲")
    expect(card.locator("mark.quote").first).to_be_visible()
    expect(card.locator("mark.quote").first).to_contain_text("两市中心城区直线距离仅28公里")
    expect(desktop.locator('#citations section.cites[data-answer="2"]')).to_be_hidden()
    assert in_viewport(desktop, "#cite-1-1")


def test_on_a_desktop_the_sources_are_in_the_panel_not_under_the_answer(desktop: Page) -> None:
    expect(desktop.locator("#citations")).to_be_visible()
    expect(bot(desktop, 1).locator("details.msg-sources")).to_be_hidden()


# -- on a phone ---------------------------------------------------------------------------------
def test_on_a_phone_the_sources_sit_collapsed_right_under_the_answer(phones: dict[str, Page]) -> None:
    page = phones["light"]
    expect(page.locator("#citations")).to_be_hidden()
    sources = bot(page, 1).locator("details.msg-sources")
    summary = sources.locator("> summary")
    expect(summary).to_have_text("出处（1 条）")
    expect(summary).to_be_visible()
    assert sources.evaluate("details => details.open") is False
    text = bot(page, 1).locator(".message-content .md > p").last.bounding_box()  # the answer's last paragraph
    box = summary.bounding_box()
    assert 0 <= box["y"] - (text["y"] + text["height"]) < 40  # right under the answer's last line
    assert box["y"] + box["height"] <= PHONE["height"]  # on the first screen


def test_on_a_phone_a_marker_opens_the_sources_under_its_answer(phones: dict[str, Page]) -> None:
    page = phones["light"]
    bot(page, 1).locator("a.cite-link").first.click()
    page.wait_for_timeout(PIN_SETTLE_MS)
    assert bot(page, 1).locator("details.msg-sources").evaluate("details => details.open") is True
    expect(page.locator("#msg-1-1 mark.quote").first).to_be_visible()
    assert in_viewport(page, "#msg-1-1")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_quote_and_its_highlight_are_readable_in_both_colour_schemes(
    phones: dict[str, Page], scheme: str, tmp_path
) -> None:
    page = phones[scheme]
    assert page.evaluate("document.body.classList.contains('dark')") is (scheme == "dark")
    bot(page, 1).locator("a.cite-link").first.click()
    mark = page.locator("#msg-1-1 mark.quote").first
    expect(mark).to_be_visible()
    assert mark.evaluate(CONTRAST_JS) >= WCAG_AA
    assert page.locator("#msg-1-1 .cite-quote p").first.evaluate(CONTRAST_JS) >= WCAG_AA
    if scheme == "dark":
        page.wait_for_timeout(PIN_SETTLE_MS)
        assert png_width(shoot(page, tmp_path, "dark")) == PHONE["width"]


# -- the direct line and the partial notice ---------------------------------------------------------
def test_the_direct_answer_comes_first_and_stands_out_on_a_desktop(desktop: Page) -> None:
    message = bot(desktop, 1)
    direct = message.locator(".direct-answer")
    expect(direct).to_have_text("28公里[1]")
    expect(direct.locator("a.cite-link")).to_have_attribute("href", "#cite-1-1")
    assert direct.bounding_box()["y"] <= message.locator(".message-content .md > p").first.bounding_box()["y"]
    size = direct.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    body = message.locator(".message-content .md > p").last.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 1.2 * body
    expect(bot(desktop, 2).locator(".direct-answer")).to_have_count(0)  # "发展定位是什么" asks for no figure


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_direct_answer_opens_the_message_and_is_readable(phones: dict[str, Page], scheme: str) -> None:
    message = bot(phones[scheme], 1)
    direct = message.locator(".direct-answer")
    expect(direct).to_have_text("28公里[1]")
    assert direct.evaluate(MESSAGE_TOP_JS) <= FIRST_LINE_PX  # the message's first line: seen before the quotes
    assert direct.evaluate(CONTRAST_JS) >= WCAG_AA


@pytest.mark.parametrize(
    ("phone", "scheme"), [(False, "light"), (True, "light"), (True, "dark")], ids=["desktop", "phone", "phone-dark"]
)
def test_a_partial_answer_says_which_part_found_nothing(
    new_page: Callable[..., Page], phone: bool, scheme: str
) -> None:
    page = new_page(phone=phone, scheme=scheme)
    ask(page, PARTIAL)
    note = bot(page, 1).locator(".partial-note")
    expect(note).to_have_text("⚠ 只回答了部分问题：没有找到关于“交通建设”的内容。")
    expect(note).to_be_visible()
    assert note.evaluate(CONTRAST_JS) >= WCAG_AA
    assert "（只回答了部分问题" not in bot(page, 1).inner_text()  # said once, as the notice
    ask(page, DISTANCE)
    expect(bot(page, 2).locator(".partial-note")).to_have_count(0)


# -- 对照阅读 on a phone ----------------------------------------------------------------------------
def test_on_a_phone_the_comparison_stacks_its_two_documents(new_page: Callable[..., Page], planqa: PlanQA) -> None:
    page = new_page(phone=True)
    tab(page, "核对")
    tab(page, "对照阅读")
    page.fill("#compare-topic textarea", "交通")
    page.click("#compare-button")
    expect(page.locator("#compare-right .hit-card").first).to_be_visible()
    left, right = (page.locator(side).bounding_box() for side in ("#compare-left", "#compare-right"))
    assert right["y"] >= left["y"] + left["height"]  # one under the other
    for side in (left, right):
        assert side["width"] >= PHONE["width"] * 0.8
    title = page.locator("#compare-left .compare-title")
    line = title.evaluate("h => parseFloat(getComputedStyle(h).lineHeight)")
    lines = round(title.bounding_box()["height"] / line)
    assert len(title.inner_text()) / lines >= MIN_TITLE_CHARS_PER_LINE


def test_the_comparison_refuses_the_same_document_on_both_sides(new_page: Callable[..., Page], planqa: PlanQA) -> None:
    first = planqa.documents()[0]
    page = new_page()
    tab(page, "核对")
    tab(page, "对照阅读")
    pick(page, "#compare-b", first.title)
    page.fill("#compare-topic textarea", "交通")
    page.click("#compare-button")
    expect(page.locator("#compare-left .notice-warn")).to_have_text(SAME_DOCUMENT)
    expect(page.locator("#compare-right .hit-card")).to_have_count(0)


# -- follow-ups -----------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_follow_up_is_answered_from_the_previous_answers_document_and_says_how_it_was_read(
    new_page: Callable[..., Page], phone: bool
) -> None:
    page = new_page(phone=phone)
    ask(page, DISTANCE)
    ask(page, "那它的发展目标是什么？")
    understood = bot(page, 2).locator(".understood-as")
    expect(understood).to_have_text(f"理解为：《{NEIZI}》的发展目标是什么？")
    expect(understood).to_be_visible()
    assert "三、（三）发展目标" in bot(page, 2).inner_text()
    # a question that stands on its own is not rewritten
    ask(page, "綦江和万盛的发展定位是什么？")
    expect(bot(page, 3).locator(".understood-as")).to_have_count(0)
