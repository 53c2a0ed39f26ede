"""SQL storage of conversations and tickets: SQLite in the data dir by default, PostgreSQL (or any
SQLAlchemy URL) by setting (the engine comes from `chatbot/sql.py`)."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from ..config import Settings
from . import ops_models  # noqa: F401  (the operations tables join the schema)
from ..sql import create_tables, database_url, make_engine
from .models import Base

__all__ = ["Database", "database_url", "make_engine"]

logger = logging.getLogger(__name__)


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

    def check_writable(self) -> bool:
        """One real write (a single-row upsert), so that a read-only or full database is not reported ok."""
        try:
            with self.engine.begin() as connection:
                updated = connection.execute(text("UPDATE health_probe SET checked_at = CURRENT_TIMESTAMP WHERE id = 1"))
                if updated.rowcount == 0:
                    connection.execute(text("INSERT INTO health_probe (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)"))
            return True
        except Exception as error:  # any database error means "not writable"; the reason goes to the log only
            logger.warning("database not writable error=%s", type(error).__name__)
            return False
