"""Table contracts: the YAML under ``schemas/tables`` turned into what code needs.

Each table is declared once (columns, types, nullability, ranges, partitioning, key).
From that one declaration come the Spark schema used by readers and fixtures, the Delta
table creation and the Great Expectations suite (see ``quality``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

_PRIMITIVES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "long": T.LongType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}
PERSONAL_KINDS = (None, "subject", "mention", "text")
_ARRAY = re.compile(r"^array<(.+)>$")
_MAP = re.compile(r"^map<\s*(\w+)\s*,\s*(.+)>$")
_STRUCT = re.compile(r"^struct<(.+)>$")


def schema_root() -> Path:
    """The ``schemas`` folder: inside the wheel, else the repository's."""
    packaged = Path(__file__).parent / "_schemas"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "schemas"


def _top_level_fields(body: str) -> list[str]:
    """``a:int, b:array<struct<c:int,d:int>>`` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    return [*parts, body[start:]]


def parse_type(name: str) -> T.DataType:
    """``string``, ``long``, ..., ``array<...>``, ``map<key, ...>`` or ``struct<name:type, ...>``."""
    name = name.strip()
    if match := _STRUCT.match(name):
        fields = []
        for part in _top_level_fields(match.group(1)):
            field_name, colon, field_type = part.partition(":")
            if not colon or not field_name.strip():
                raise ValueError(f"struct field {part!r} must be name:type")
            fields.append(T.StructField(field_name.strip(), parse_type(field_type), True))
        return T.StructType(fields)
    if match := _ARRAY.match(name):
        return T.ArrayType(parse_type(match.group(1)))
    if match := _MAP.match(name):
        return T.MapType(parse_type(match.group(1)), parse_type(match.group(2)))
    try:
        return _PRIMITIVES[name]
    except KeyError:
        raise ValueError(f"unknown column type {name!r} (known: {sorted(_PRIMITIVES)}, array<...>, map<...>, "
                         "struct<...>)") from None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    # What the column holds of a person, for erasure: ``subject`` (the row is about the
    # person: erasing them deletes it), ``mention`` (names a person inside a value about
    # others: replaced) or ``text`` (free text that may quote one: cleared).
    personal: str | None = None

    @property
    def spark_type(self) -> T.DataType:
        return parse_type(self.type)


@dataclass(frozen=True)
class Table:
    """One table of the lake, as its YAML declares it."""

    name: str
    description: str
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def schema(self) -> T.StructType:
        return T.StructType([T.StructField(c.name, c.spark_type, c.nullable) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def path(self, lake: Path | str) -> str:
        """Where the table lives: ``<lake>/<layer>/<table>``."""
        return str(Path(lake) / self.name)

    def personal(self, kind: str) -> list[Column]:
        """The columns holding personal data of one kind (see ``Column.personal``)."""
        return [c for c in self.columns if c.personal == kind]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _load(path: Path) -> Table:
    doc = yaml.safe_load(path.read_text())
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            nullable=bool(c.get("nullable", True)),
            description=c.get("description", ""),
            min=c.get("min"),
            max=c.get("max"),
            allowed=tuple(c["allowed"]) if c.get("allowed") else None,
            personal=c.get("personal"),
        )
        for c in doc["columns"]
    )
    for col in columns:
        col.spark_type  # fail at load time on a bad type, naming the file
        if col.personal not in PERSONAL_KINDS:
            raise ValueError(f"{path}: column {col.name}: personal must be one of {PERSONAL_KINDS[1:]}, "
                             f"not {col.personal!r}")
    table = Table(
        name=doc["table"],
        description=doc.get("description", "").strip(),
        columns=columns,
        partition_by=tuple(doc.get("partition_by") or ()),
        key=tuple(doc.get("key") or ()),
    )
    missing = [c for c in (*table.partition_by, *table.key) if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: partition/key columns not declared: {missing}")
    return table


@functools.cache
def all_tables() -> dict[str, Table]:
    root = schema_root() / "tables"
    tables = [_load(p) for p in sorted(root.rglob("*.yaml"))]
    return {t.name: t for t in tables}


def table(name: str) -> Table:
    """The contract of one table, by its lake name (``bronze/interactions``)."""
    try:
        return all_tables()[name]
    except KeyError:
        raise KeyError(f"no table {name!r} declared under schemas/tables (have {sorted(all_tables())})") from None


INTERACTIONS = "bronze/interactions"
QUARANTINE = "bronze/quarantine"
INGESTED_FILES = "bronze/ingested_files"
EDGES = "silver/edges"
SCORES = "gold/influencer_scores"
NETWORK_SUMMARY = "gold/network_summary"
SEGMENTS = "gold/influencer_segments"
IMPRESSIONS = "gold/impressions_daily"
CAMPAIGN_PLANS = "gold/campaign_plans"
AUDIENCE_OVERLAP = "gold/audience_overlap"
ANOMALIES = "gold/engagement_anomalies"


def conform(df: DataFrame, table_name: str) -> DataFrame:
    """The table's columns, in contract order and types; a missing column is an error."""
    contract = table(table_name)
    return df.select([F.col(c.name).cast(c.spark_type).alias(c.name) for c in contract.columns])
