"""HTML page → text, one line per block element, in one pass over lxml's parse events.

Replaces a BeautifulSoup tree walk and gives the same text on every page it was compared on (the dev
corpus's pages and the test pages): the same line breaks around block tags, the same white space.
"""

from __future__ import annotations

import re

_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "title",
    "header",
    "footer",
)
_CODE_TAGS = ("script", "style", "template")  # their content is code, never text (not even a title's)
# Never document text: code, widgets, and the page's own navigation and footer. Their text would
# otherwise sit right above the notice and be read as part of its header (and as its issuer).
_DROP_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "form",
    "button",
    "nav",
    "footer",
    "aside",
)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one line per block element.

    The page's `<h1>` (the document's title on government sites) becomes the first line, written as a
    Markdown h1 ("# 重庆市停车管理条例") so the parser knows it for a title; the `ArticleTitle` meta or
    the `<title>` without its site suffix, and the `PubDate` meta, come first as metadata lines
    ("标题:…", "发布时间:…"), read as page metadata and never as text.

    One pass over lxml's parse events, so time and memory grow with the page and not with how deep it
    nests (line breaks inserted around each block tag of a tree took time in proportion to its depth:
    100,000 nested `<div>`s took 9 minutes); a page nested deeper than `MAX_HTML_DEPTH` raises
    `PageTooDeep`.
    """
    from lxml import etree

    page = _PageText()
    parser = etree.HTMLParser(target=page, encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        parser.feed(html.encode("utf-8", errors="replace"))
        parser.close()
    except etree.ParserError:  # nothing to parse (an empty or blank page)
        return ""
    fields = dict(page.meta)
    if "标题" not in fields and (title := " ".join("".join(page.title).split())):
        while (cut := _TITLE_SUFFIX.sub("", title)) != title and cut:
            title = cut
        fields["标题"] = title
    title = page.take_title(fields.get("标题", ""))
    head = [f"{name}:{value}" for name, value in fields.items()]
    if title:
        head.append(f"# {title}")
    return "\n".join(head + [page.text()])


# <meta name=…> of government CMSs (the 政府网站 template of gov.cn and provincial sites) → page fields.
# (ContentSource names the site the text was taken from, not its issuer: not read.)
_META_FIELDS = {"articletitle": "标题", "pubdate": "发布时间"}
# Site suffix of a <title>: "重庆市停车管理条例_重庆市人民政府网" / "… - 中国政府网" / "…|某某市政府".
_TITLE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s-\s|——)\s*[^_|｜]*(?:网|政府|门户|网站|平台|人大|委员会)[^_|｜]*$")
# Tags open at once beyond which a page is refused. Government pages nest about 30 deep, but an old
# CMS page that never closes its <font>s nests one deeper per paragraph, so the bound is far above
# both; depth costs the one-pass reader nothing but the list of open tags. (libxml2's own tree builder
# stops at 256 deep and silently drops the rest of the page: the reader never builds a tree.)
MAX_HTML_DEPTH = 10_000
# Of the <h1>s, those that may be the title: the first `_H1_COUNT`, by their first `_H1_CHARS` (a
# page has one or two, and a title is far shorter); the rest are read as text, at no cost per <h1>.
_H1_COUNT = 100
_H1_CHARS = 200
_ASCII_SPACES = " \n\t\f\r"
_PRESERVE_TAGS = ("pre", "textarea")


class PageTooDeep(ValueError):
    """A page that nests its tags more than `MAX_HTML_DEPTH` deep."""


class _PageText:
    """An lxml parser target that keeps, in one pass, the page's text pieces (with the line breaks
    around block tags), its meta fields, its first `<title>` and where each `<h1>` starts and ends."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.kept: list[bool] = []  # outside every `_DROP_TAGS` element
        self.open: list[str] = []
        self.dropping = 0  # `_DROP_TAGS` elements open
        self.code = 0  # `_CODE_TAGS` elements open: their text is never text, not even a title's
        self.preserving = 0  # <pre> and <textarea> elements open: their white space is kept as it is
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.seen_title = False
        self.h1s: list[list[int]] = []  # [first piece, end piece] of each <h1>
        self.h1_words: list[list[str]] = []  # the first `_H1_CHARS` or so of each <h1>'s text
        self.h1_size: list[int] = []
        self.open_h1: list[tuple[int, int]] = []  # (depth, index in h1s) of the <h1>s open
        self.filling: list[int] = []  # open <h1>s whose words are still short of `_H1_CHARS`
        self.pending: list[str] = []  # text not yet put: lxml may hand one text over in several pieces

    def _put(self, piece: str) -> None:
        self.pieces.append(piece)
        self.kept.append(not self.dropping)

    def _flush(self) -> None:
        """Put the text read since the last tag; white space alone between tags counts as one line
        break or one space (as BeautifulSoup, the reader before this one, counted it)."""
        text = "".join(self.pending)
        self.pending.clear()
        if not text:
            return
        if not self.preserving and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        if self.in_title:
            self.title.append(text)
        for h1 in self.filling:  # each takes text until it is full
            self.h1_words[h1].append(text[: _H1_CHARS - self.h1_size[h1]])
            self.h1_size[h1] += len(text)
        self.filling = [h1 for h1 in self.filling if self.h1_size[h1] < _H1_CHARS]
        self._put(text)

    def start(self, tag: str, attrib) -> None:
        self._flush()
        if len(self.open) >= MAX_HTML_DEPTH:
            raise PageTooDeep
        if tag == "meta":
            field = _META_FIELDS.get(str(attrib.get("name", "")).lower())
            content = " ".join(str(attrib.get("content", "")).split())
            if field and content and field not in self.meta:
                self.meta[field] = content
        elif tag == "title" and not self.seen_title:
            self.in_title = self.seen_title = True
        elif tag == "h1" and len(self.h1s) < _H1_COUNT:
            self.open_h1.append((len(self.open), len(self.h1s)))
            self.filling.append(len(self.h1s))
            self.h1s.append([len(self.pieces), -1])
            self.h1_words.append([])
            self.h1_size.append(0)
        self.dropping += tag in _DROP_TAGS
        self.code += tag in _CODE_TAGS
        self.preserving += tag in _PRESERVE_TAGS
        if tag in _BLOCK_TAGS:
            self._put("\n")
        self.open.append(tag)

    def end(self, tag: str) -> None:
        self._flush()
        if not self.open:
            return
        tag = self.open.pop()  # what opened last closes first, whatever the end tag said
        if tag in _BLOCK_TAGS:
            self._put("\n")
        elif tag in ("td", "th"):
            self._put(" ")
        if self.open_h1 and self.open_h1[-1][0] == len(self.open):
            h1 = self.open_h1.pop()[1]
            self.h1s[h1][1] = len(self.pieces)
            if self.filling and self.filling[-1] == h1:
                self.filling.pop()
        self.in_title = self.in_title and tag != "title"
        self.dropping -= tag in _DROP_TAGS
        self.code -= tag in _CODE_TAGS
        self.preserving -= tag in _PRESERVE_TAGS

    def data(self, text: str) -> None:
        if not self.code:
            self.pending.append(text)

    def close(self) -> None:
        self._flush()

    def take_title(self, declared: str) -> str:
        """The `<h1>` that titles the document, taken out of the text: the one the declared title
        names, else the longest; '' when there is none."""
        found = [
            (span, text) for span, words in zip(self.h1s, self.h1_words) if (text := " ".join(" ".join(words).split()))
        ]
        if not found:
            return ""
        squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
        named = [
            pair
            for pair in found
            if declared and (squeeze(pair[1]) in squeeze(declared) or squeeze(declared) in squeeze(pair[1]))
        ]
        (first, end), text = (named or sorted(found, key=lambda pair: len(pair[1]), reverse=True))[0]
        for index in range(first, end if end >= 0 else len(self.pieces)):
            self.kept[index] = False
        return text

    def text(self) -> str:
        return "".join(piece for piece, kept in zip(self.pieces, self.kept) if kept)
