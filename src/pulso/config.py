"""Settings: the one settings object, read from PULSO_* environment variables or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is documented in docs/configuration.md (a test checks that)."""

    model_config = SettingsConfigDict(env_prefix="PULSO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("pulso-data"), description="Folder for the embedded stores and the queue.")
    database_url: str | None = Field(
        None, description="Operational store URL; default: SQLite file in data_dir (pulso.db)."
    )
    analytics_path: Path | None = Field(
        None, description="DuckDB file of the analytic store; default: data_dir/analytics.duckdb."
    )
    analytics_memory_limit: str = Field("4GB", description="DuckDB memory limit of the serving process.")
    analytics_threads: int = Field(0, description="DuckDB threads; 0 means one per core.")
    analytics_sync_seconds: float = Field(
        2.0, description="How often `pulso serve` copies new changes to the analytic store; 0 turns it off."
    )
    queue: Literal["sqlite", "redis", "immediate"] = Field(
        "sqlite", description="Job queue backend: embedded SQLite, Redis, or run jobs inline."
    )
    serve_worker: bool = Field(
        True, description="Run background jobs inside `pulso serve`; turn off when `pulso worker` runs apart."
    )
    text_analysis: bool = Field(
        True, description="Analyse new comments (language, sentiment, topics) through the queue as they arrive."
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis URL when queue=redis.")
    secret_key: str | None = Field(
        None, description="Key that signs sessions and CSRF tokens; generated into data_dir if unset."
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only; turn on behind TLS in production."
    )
    host: str = Field("127.0.0.1", description="Address `pulso serve` listens on.")
    port: int = Field(8000, description="Port `pulso serve` listens on.")
    timezone: str = Field("America/Mexico_City", description="Time zone of a new organisation.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address people open Pulso at, for the links in e-mails."
    )
    smtp_host: str | None = Field(None, description="SMTP server for e-mail; unset, e-mails wait as unsent.")
    smtp_port: int = Field(25, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP login user; unset, no login.")
    smtp_password: str | None = Field(None, description="SMTP login password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before login.")
    smtp_from: str = Field("Pulso <pulso@localhost>", description="From address of the e-mails Pulso sends.")
    smtp_timeout: float = Field(10.0, description="Seconds to wait for the SMTP server.")
    webhook_timeout: float = Field(10.0, description="Seconds to wait for a webhook receiver's answer.")
    notification_max_attempts: int = Field(
        10, ge=1, description="Delivery attempts of an e-mail or webhook before it becomes a dead letter."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pulso.db').resolve()}"

    @property
    def resolved_analytics_path(self) -> Path:
        return (self.analytics_path or self.data_dir / "analytics.duckdb").resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
