"""Prompt templates: plain text files in `prompts/`, loaded by name, with `{placeholders}`.

Prompt wording is data, edited without touching code; fixed phrases the code relies on (the
refusal sentence) are passed in as values, so each is defined once. A template and the values given
must name the same placeholders: a typo in either fails loudly instead of sending a model a
literal "{refusal}".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Formatter

SUFFIX = ".txt"


class PromptError(ValueError):
    """A template that is missing, or whose placeholders do not match the values given."""


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Path) -> str:
    """The template `directory/name.txt` (read once per process)."""
    path = directory / f"{name}{SUFFIX}"
    try:
        return path.read_text(encoding="utf-8").strip("\n")
    except FileNotFoundError:
        raise PromptError(f"prompt template {name!r} not found: {path}") from None


def placeholders(template: str) -> set[str]:
    """The `{names}` a template uses."""
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def render_prompt(name: str, directory: Path, **values: str) -> str:
    """The template `name` with its placeholders filled; values are inserted as they are."""
    template = load_prompt(name, directory)
    wanted = placeholders(template)
    if wanted != set(values):
        raise PromptError(f"prompt {name!r} uses {sorted(wanted)}, but {sorted(values)} were given")
    return template.format_map(values)
