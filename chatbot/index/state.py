"""The index's state in the deployment's SQL database (`chatbot/sql.py`): which generation is served and
which one the evaluation gate held back (`index_pointer`), the publish log, and each generation's
manifest (what was indexed from which file, and the superseded versions it archived). LangChain's record
manager keeps its `upsertion_record` table in the same database, one namespace per generation.

Every process reads the same rows, so app replicas on several hosts agree on the served generation,
and a replica keeps nothing of the index on its local disk.
"""

from __future__ import annotations

import threading

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Engine

from ..config import Settings
from ..sql import create_tables, database_url, shared_engine

metadata = MetaData()

pointers = Table(
    "index_pointer", metadata,
    Column("name", String(16), primary_key=True),  # current | staged
    Column("generation", Text, nullable=False),  # the Generation as JSON (staged: with its report)
)

publish_events = Table(
    "index_publish_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", Text, nullable=False),  # JSON: time, event, generation, by, override, reasons
)

manifest_files = Table(
    "index_manifest", metadata,
    Column("namespace", String(255), primary_key=True),  # the generation's record-manager namespace
    Column("source", String(1024), primary_key=True),
    Column("digest", String(128), nullable=False),
    Column("pipeline", Text, nullable=False),
    Column("ids", Text, nullable=False),  # JSON list of the item ids the file defines
)

manifest_archive = Table(
    "index_archive", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", String(255), nullable=False, index=True),
    Column("source", String(1024), nullable=False),
    Column("item_id", String(255), nullable=False),
    Column("version", String(64), nullable=False),
    Column("ids", Text, nullable=False),
    Column("in_force_until", String(16), nullable=False),
    Column("archived_at", String(40), nullable=False),
)

RECORDS_TABLE = "upsertion_record"  # LangChain's SQLRecordManager's one table

_ready: set[int] = set()
_ready_lock = threading.Lock()


def state_engine(settings: Settings) -> Engine:
    """The shared engine of the deployment's database, with the index tables created on first use."""
    engine = shared_engine(database_url(settings))
    if id(engine) not in _ready:
        with _ready_lock:
            if id(engine) not in _ready:
                create_tables(engine, metadata)
                _ready.add(id(engine))
    return engine


def has_records_table(engine: Engine) -> bool:
    return inspect(engine).has_table(RECORDS_TABLE)
