"""SQL storage of conversations and tickets: SQLite in the data dir by default, PostgreSQL (or any
SQLAlchemy URL) by setting (the engine comes from `chatbot/sql.py`)."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from ..config import Settings
from ..sql import create_tables, database_url, make_engine
from .models import Base

__all__ = ["Database", "database_url", "make_engine"]


class Database:
    """One engine and session factory; tables are created on first use."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        create_tables(self.engine, Base.metadata)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(database_url(settings))
