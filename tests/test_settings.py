"""One settings object, from PLANQA_* variables, with nothing unknown accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.settings import EmbeddingSettings, Settings


def test_nested_settings_come_from_double_underscore_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_RETRIEVAL__K", "5")
    monkeypatch.setenv("PLANQA_ANSWER__MODE", "llm")
    settings = Settings(_env_file=None)
    assert settings.retrieval.k == 5
    assert settings.answer.mode == "llm"


def test_planqa_home_is_where_the_index_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLANQA_HOME", str(tmp_path / "elsewhere"))
    settings = Settings(_env_file=None)
    assert settings.chroma_dir == tmp_path / "elsewhere" / "chroma"
    assert settings.uploads_dir == tmp_path / "elsewhere" / "uploads"


def test_an_unknown_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_RETRIEVAL__TOP", "5")
    with pytest.raises(ValidationError, match="top"):
        Settings(_env_file=None)


def test_a_bad_value_is_an_error_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANQA_ANSWER__MODE", "guess")
    with pytest.raises(ValidationError, match="mode"):
        Settings(_env_file=None)


def test_a_dot_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PLANQA_RETRIEVAL__K=7\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings().retrieval.k == 7


def test_each_embedding_model_gets_its_own_collection() -> None:
    default = Settings(_env_file=None)
    other = Settings(
        _env_file=None, embedding=EmbeddingSettings(backend="sentence-transformers", model="/models/all-MiniLM-L6-v2")
    )
    assert default.collection_name != other.collection_name
    assert "all-MiniLM-L6-v2" in other.collection_name
