"""Text primitives every stage shares: Chinese numerals, the normal form text is matched in, character
bigrams, the `[n]` citation marker and the 《title》clause label. One home each, so the rules cannot drift.

ingest is the bottom of the flow (ingest ← rag ← ui/eval/benchmarks), so this module lives here and
imports nothing of the project.
"""

from __future__ import annotations

import re
import unicodedata

# Characters of a Chinese numeral as clause numbers write them: 第一千零二条, 二十六、, （十二）.
CN_NUMERAL_CHARS = "零〇一二三四五六七八九十百千两"
# A clause number in either script: 二十六 or 26.
NUMERAL = rf"[{CN_NUMERAL_CHARS}]+|\d+"
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_WHITE_SPACE = re.compile(r"\s+")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)

# `[3]` after a sentence: the citation it rests on (answers, verification, the chat page).
MARKER = re.compile(r"\[(\d+)\]")


def chinese_number(text: str) -> int:
    """`二十六` → 26, `十` → 10, `一百零二` → 102, `12` → 12."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
    return total + digit


def normalise(text: str) -> str:
    """NFKC (full-width brackets and digits to ASCII), white space removed: the form in which names,
    quotes and clause references are matched. The plans mix "，" and "," and carry stray spaces."""
    return _WHITE_SPACE.sub("", unicodedata.normalize("NFKC", text))


def han_bigrams(text: str) -> list[str]:
    """Overlapping pairs of Chinese characters, run by run ("规划期" → 规划, 划期)."""
    grams: list[str] = []
    for run in _HAN_RUN.findall(text):
        grams += [run[i : i + 2] for i in range(len(run) - 1)]
    return grams


def char_bigrams(text: str) -> set[str]:
    """Pairs of word characters of the NFKC text, punctuation and space ignored: what a claim shares
    with its source (a one-character text is its own bigram)."""
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text))
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def citation_label(title: str, clause_ref: str = "", heading: str = "") -> str:
    """How a person reads a source: `《推动川南渝西地区融合发展总体方案》三、（七）培育…集群`."""
    return f"《{title}》{clause_ref}{heading}"
