"""Erase people from every table of a lake, and from every older version of it.

What a person leaves, and how it goes, comes from the table contracts (``personal`` in
``schemas/tables``): rows about them are deleted, values about others that name them
(a community named after them, a trait, a list's reason) have the id replaced by an
``erased:`` token, and free text that quotes them (a quarantined line) is cleared.
Then each table's history is dropped (see ``Lake.drop_history``), because an older
version, its files and its log statistics would still hold them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from influence import tables
from influence.errors import InfluenceError
from influence.io import claims
from influence.io.lake import Lake
from influence.pipelines import Step, no_progress
from influence.privacy import (ERASED_PREFIX, PREFIX, id_pattern, mentions, pseudonymization_key, pseudonyms,
                               redacted)
from influence.quality import AUDITS_FOLDER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    table: str
    rows_deleted: int
    rows_redacted: int
    versions_dropped: int

    def as_dict(self) -> dict:
        return asdict(self)


def run(spark: SparkSession, lake_root: Path, users: list[str], step: Step = no_progress) -> list[Erased]:
    """Erase ``users`` (ids as the exports write them) from the lake at ``lake_root``."""
    if not users:
        raise InfluenceError("name at least one user to forget")
    lake = Lake(spark, lake_root)
    key = pseudonymization_key()
    _require_matching_key(lake, key)
    ids = tuple(dict.fromkeys(pseudonyms(users, key)))  # a repeated id would match its rows twice
    people = spark.createDataFrame([(i, id_pattern(i), ERASED_PREFIX + secrets.token_hex(6)) for i in ids],
                                   "id string, pattern string, token string").cache()
    erased = []
    for name in sorted(tables.all_tables()):
        if not lake.exists(name):
            continue
        with step(f"erase from {name}"):
            contract = tables.table(name)
            deleted = redacted_rows = 0
            if subjects := contract.personal("subject"):
                condition = " OR ".join(f"t.{c.name} = s.id" for c in subjects)
                deleted = lake.merge_delete(name, people, condition)
            if quoted := contract.personal("mention") + contract.personal("text"):
                # One person per merge: a row naming two would match two source rows.
                for user_id in ids:
                    redacted_rows += _redact(lake, name, quoted, people.where(F.col("id") == user_id))
            dropped = lake.drop_history(name)
        erased.append(Erased(name, deleted, redacted_rows, dropped))
    with step("erase from kept audit results and staging files"):
        _scrub_files(Path(lake.root), ids)
    people.unpersist()
    return erased


def _require_matching_key(lake: Lake, key: bytes | None) -> None:
    """A pseudonymised lake can only be searched with its key: refuse rather than find nobody."""
    if key is not None or not lake.exists(tables.INTERACTIONS):
        return
    sample = lake.read(tables.INTERACTIONS).select("actor_id").limit(1).collect()
    if sample and sample[0][0].startswith(PREFIX):
        raise InfluenceError("this lake holds pseudonyms: set INFLUENCE_PSEUDONYMIZE_KEY to the key it was "
                             "ingested with, so that the ids given can be found")


def _redact(lake: Lake, name: str, columns: list[tables.Column], person) -> int:
    """Replace the person's id in ``mention`` columns, clear ``text`` columns quoting them."""
    pattern, token = F.col("s.pattern"), F.col("s.token")
    values, found = {}, []
    for column in columns:
        target = F.col(f"t.{column.name}")
        data_type = column.spark_type
        holds = mentions(target, data_type, pattern)
        found.append(holds)
        values[column.name] = (F.when(holds, F.lit(None)).otherwise(target) if column.personal == "text"
                               else redacted(target, data_type, pattern, token))
    condition = found[0]
    for more in found[1:]:
        condition = condition | more
    return lake.merge_update(name, person, condition, values)


def _scrub_files(lake_root: Path, ids: tuple[str, ...]) -> None:
    """Files of the lake outside its tables: kept audit results are rewritten without the
    ids; staging folders left by killed ingests (raw lines) are removed."""
    claims.remove_abandoned_staging(lake_root)
    patterns = [re.compile(id_pattern(i)) for i in ids]
    for path in sorted((lake_root / AUDITS_FOLDER).rglob("*.json")) if (lake_root / AUDITS_FOLDER).is_dir() else []:
        text = path.read_text()
        cleaned = text
        for pattern in patterns:
            cleaned = pattern.sub(ERASED_PREFIX + "audit", cleaned)
        if cleaned == text:
            continue
        try:
            json.loads(cleaned)
        except ValueError:  # an id with characters JSON escapes: drop the whole result
            path.unlink()
            log.warning("deleted the kept audit result %s, which named a forgotten user", path)
        else:
            path.write_text(cleaned)
            log.warning("erased ids from the kept audit result %s", path)
