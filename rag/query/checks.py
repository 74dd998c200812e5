"""The checks every question (and search query) passes before it is read: not empty, not too long,
some words in it."""

from __future__ import annotations

import re


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long), with the reason in words."""


# Terminal escapes ("\x1b[31m"), control characters but tab and newlines, and invisible format
# characters (zero-width, bidi overrides) are never part of a question: pasted or hostile noise.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_WORD = re.compile(r"[^\W_]")  # a letter or digit of any script
# A lone surrogate is no character: it stands for a byte that was not UTF-8 (Python reads the command
# line's `\xff` as "\udcff"; JSON may write "\udcff"), and no model, store or terminal can take it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def check_question(text: object, max_chars: int) -> str:
    """The question without control characters, stripped, or a `QuestionError` saying what is wrong
    with it (empty, too long, no words, not text). API, command line and app all ask through this one check."""
    text = _CONTROL.sub("", text).strip() if isinstance(text, str) else ""
    if _SURROGATE.search(text):
        raise QuestionError("问题含有无法识别的字节，请以 UTF-8 文字提问。")
    if not text:
        raise QuestionError("问题不能为空。")
    if len(text) > max_chars:
        raise QuestionError(f"问题过长：{len(text)} 字，上限 {max_chars} 字。")
    if not _WORD.search(text):
        raise QuestionError("问题中没有文字，请用文字提问。")
    return text
