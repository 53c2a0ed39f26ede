"""A generation's bookkeeping, in the shared SQL database (`index/state.py`): our manifest (what was
indexed from which file: hash, pipeline, ids; and the superseded versions archived) and LangChain's
record manager (which unit keys each file wrote, for `index(..., cleanup="incremental")`). Both are
keyed by the generation's namespace, so copying or dropping a generation is a few SQL statements."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.engine import Engine

from .state import has_records_table, manifest_archive, manifest_files


class Manifest:
    """One generation's record of what was indexed from which file (hash, pipeline, ids), and of the
    superseded versions it archived."""

    def __init__(self, engine: Engine, namespace: str):
        self.engine = engine
        self.namespace = namespace
        self._pending: dict[str, dict] = {}  # rows put with commit=False, written together by commit()

    def _files(self, *columns):
        return select(*columns).where(manifest_files.c.namespace == self.namespace)

    def get(self, source: str) -> tuple[str, str, list[str]] | None:
        query = self._files(manifest_files.c.digest, manifest_files.c.pipeline, manifest_files.c.ids)
        with self.engine.connect() as connection:
            row = connection.execute(query.where(manifest_files.c.source == source)).first()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def sources(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.scalars(self._files(manifest_files.c.source)))

    def known_ids(self) -> dict[str, str]:
        """Document/card id → the source file that defines it."""
        ids = {}
        with self.engine.connect() as connection:
            for source, raw in connection.execute(self._files(manifest_files.c.source, manifest_files.c.ids)):
                for item in json.loads(raw):
                    ids[item] = source
        return ids

    def put(self, source: str, digest: str, pipeline: str, ids: list[str], *, commit: bool = True) -> None:
        self._pending[source] = {"namespace": self.namespace, "source": source, "digest": digest,
                                 "pipeline": pipeline, "ids": json.dumps(ids)}
        if commit:
            self.commit()

    def commit(self) -> None:
        if not self._pending:
            return
        rows, self._pending = list(self._pending.values()), {}
        with self.engine.begin() as connection:
            connection.execute(delete(manifest_files).where(manifest_files.c.namespace == self.namespace,
                                                            manifest_files.c.source.in_([r["source"] for r in rows])))
            connection.execute(insert(manifest_files), rows)

    def remove(self, source: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(manifest_files).where(manifest_files.c.namespace == self.namespace,
                                                            manifest_files.c.source == source))

    def clear(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(manifest_files).where(manifest_files.c.namespace == self.namespace))

    def archive(self, source: str, item_id: str, version: str, ids: list[str], until: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(manifest_archive).values(
                namespace=self.namespace, source=source, item_id=item_id, version=version, ids=json.dumps(ids),
                in_force_until=until, archived_at=dt.datetime.now(dt.UTC).isoformat()))

    def archived(self) -> list[dict]:
        columns = [manifest_archive.c[name] for name in ("source", "item_id", "version", "in_force_until",
                                                          "archived_at")]
        query = (select(*columns).where(manifest_archive.c.namespace == self.namespace)
                 .order_by(manifest_archive.c.archived_at, manifest_archive.c.id))
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def close(self) -> None:
        self.commit()


def record_namespace(collection: str) -> str:
    """The record manager's namespace of a generation: its collection."""
    return f"chroma/{collection}"


def open_record_manager(engine: Engine, namespace: str):
    """LangChain's SQL record manager of a generation, on the shared engine (schema created if new)."""
    from langchain_classic.indexes import SQLRecordManager

    manager = SQLRecordManager(namespace, engine=engine)
    manager.create_schema()
    return manager


def copy_namespace(engine: Engine, source: str, target: str) -> None:
    """Copy a generation's manifest, archive and record-manager rows to a new generation's namespace.

    The record manager has no API to move records to another namespace; re-adding every key through
    `update()` would take a round trip per file to learn its keys. One INSERT … SELECT per table copies
    them in the database (new row ids for the record manager's uuid key). This and `drop_namespace` are
    the only places that touch the record manager's table.
    """
    open_record_manager(engine, target)  # its table exists before we copy into it
    from langchain_classic.indexes._sql_record_manager import UpsertionRecord

    records = UpsertionRecord.__table__
    new_uuid = (func.gen_random_uuid().cast(records.c.uuid.type) if engine.dialect.name == "postgresql"
                else func.lower(func.hex(func.randomblob(16))))
    files = [manifest_files.c[name] for name in ("source", "digest", "pipeline", "ids")]
    archive = [manifest_archive.c[name] for name in ("source", "item_id", "version", "ids", "in_force_until",
                                                      "archived_at")]
    with engine.begin() as connection:
        connection.execute(insert(manifest_files).from_select(
            ["namespace", *[c.name for c in files]],
            select(literal(target), *files).where(manifest_files.c.namespace == source)))
        connection.execute(insert(manifest_archive).from_select(
            ["namespace", *[c.name for c in archive]],
            select(literal(target), *archive).where(manifest_archive.c.namespace == source)
            .order_by(manifest_archive.c.id)))
        connection.execute(insert(records).from_select(
            ["uuid", "key", "namespace", "group_id", "updated_at"],
            select(new_uuid, records.c.key, literal(target), records.c.group_id, records.c.updated_at)
            .where(records.c.namespace == source)))


def drop_namespace(engine: Engine, namespace: str) -> None:
    """Remove a generation's manifest, archive and record-manager rows."""
    with engine.begin() as connection:
        for table in (manifest_files, manifest_archive):
            connection.execute(delete(table).where(table.c.namespace == namespace))
    if has_records_table(engine):
        from langchain_classic.indexes._sql_record_manager import UpsertionRecord

        records = UpsertionRecord.__table__
        with engine.begin() as connection:
            connection.execute(delete(records).where(records.c.namespace == namespace))
