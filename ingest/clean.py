"""Line-level cleaning of scraped plan text: white space, spam, mojibake, captions, site chrome.

Cleaning never rewords: it only removes characters (spam, `????` runs, stray spaces) and marks
lines as chrome or caption. Which chrome lines are dropped is decided in `ingest.structure`, which
knows where the document starts and ends.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ingest.headings import match_heading

DEFAULT_RULES_FILE = Path(__file__).with_name("cleaning_rules.toml")

# Characters of Chinese text: ideographs, CJK and full-width punctuation, curly quotes, dashes.
# A single space next to one of them is an artefact of scraping ("生 猪", "〔 2023 〕"), never
# meaningful, so it is removed; a run of two or more spaces separates names ("四川省人民政府   重庆市
# 人民政府") and becomes one space.
_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u2010-\u2027\u00b7"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_SENTENCE_END = ("。", "！", "？", "!")
# A Markdown heading ("## 第一章 总 则"): its marks are removed and its level kept on the line.
_MARKDOWN_HEADING = re.compile(r"^\s*(#{1,6})(?:\s+|(?=[^#\s]))")
# A Markdown rule ("---", "***") or a comment ("<!-- INFO END -->") is no text of the document.
_MARKDOWN_RULE = re.compile(r"^\s*(?:(?:[-*_]\s*){3,}|<!--.*-->\s*)$")


class LineKind(StrEnum):
    TEXT = "text"
    CHROME = "chrome"
    TAIL = "tail"  # chrome that only follows a document (相关链接, 【打印】): the document ends above it
    CAPTION = "caption"
    BLANK = "blank"


@dataclass(frozen=True)
class CleaningRules:
    """Compiled patterns from `cleaning_rules.toml`."""

    spam: tuple[re.Pattern[str], ...]
    chrome: tuple[re.Pattern[str], ...]
    tail: tuple[re.Pattern[str], ...]
    caption: re.Pattern[str]
    mojibake: re.Pattern[str]

    @classmethod
    def load(cls, path: Path | str = DEFAULT_RULES_FILE) -> CleaningRules:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        return cls(
            spam=tuple(re.compile(p) for p in data["spam"]),
            chrome=tuple(re.compile(p) for p in data["chrome"]),
            tail=tuple(re.compile(p) for p in data["tail"]),
            caption=re.compile(data["caption"]),
            mojibake=re.compile(data["mojibake"]),
        )


@dataclass(frozen=True)
class Line:
    """One cleaned line and what cleaning learned about it."""

    text: str
    kind: LineKind
    removed: tuple[str, ...] = ()  # spam strings cut out of this line
    level: int = 0  # Markdown heading level (1 for "# 标题"), 0 for other lines


def normalise_spaces(line: str) -> str:
    """Drop single spaces touching Chinese text, turn longer runs into one space, strip the ends."""

    def replace(match: re.Match[str]) -> str:
        if len(match.group()) > 1:
            return " "
        before = line[match.start() - 1] if match.start() > 0 else ""
        after = line[match.end()] if match.end() < len(line) else ""
        if _CJK_CHAR.match(before or " ") or _CJK_CHAR.match(after or " "):
            return ""
        return " "

    return _SPACES.sub(replace, line).strip()


def remove_spam(line: str, rules: CleaningRules) -> tuple[str, tuple[str, ...]]:
    """Cut every spam match out of the line; return the line and the strings cut out."""
    removed: list[str] = []
    for pattern in rules.spam:
        removed += [match.group() for match in pattern.finditer(line)]
        line = pattern.sub("", line)
    return line, tuple(removed)


def is_chrome(line: str, rules: CleaningRules, patterns: tuple[re.Pattern[str], ...] | None = None) -> bool:
    """Site chrome: matches a chrome pattern and is not a sentence or a numbered heading of the document.

    A heading such as "（一）深化企业注册登记改革" has no full stop and may hold a chrome word (注册,
    来源:); taken for chrome it would vanish and the numbering after it would no longer follow.
    Glued numbers ("10阅读") are no proof of a heading.
    """
    if line.endswith(_SENTENCE_END):
        return False
    heading = match_heading(line)
    if heading and not heading.glued:
        return False
    return any(p.search(line) for p in (rules.chrome if patterns is None else patterns))


def clean_line(raw: str, rules: CleaningRules) -> Line:
    """Clean one raw line and classify it."""
    level = 0
    if heading := _MARKDOWN_HEADING.match(raw):
        level, raw = len(heading.group(1)), raw[heading.end() :]
    elif _MARKDOWN_RULE.match(raw):
        raw = ""
    text = rules.mojibake.sub("", raw)
    text = normalise_spaces(text)
    text, removed = remove_spam(text, rules)
    text = text.strip()
    if not text:
        return Line("", LineKind.BLANK, removed)
    if rules.caption.match(text):
        return Line(text, LineKind.CAPTION, removed, level)
    if is_chrome(text, rules, rules.tail):
        return Line(text, LineKind.TAIL, removed, level)
    if is_chrome(text, rules):
        return Line(text, LineKind.CHROME, removed, level)
    return Line(text, LineKind.TEXT, removed, level)


def clean_lines(raw_text: str, rules: CleaningRules) -> list[Line]:
    """Split raw text into cleaned, classified lines (blank lines kept, so structure can see gaps)."""
    raw_text = raw_text.replace("\r\n", "\n").replace("\r", "\n")
    return [clean_line(raw, rules) for raw in raw_text.split("\n")]
