"""Export files on disk: discovery, identity (sha256) and reading lines with numbers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from influence.errors import InfluenceError

_LINES = T.StructType([T.StructField("line_no", T.LongType(), False), T.StructField("value", T.StringType(), True)])


def discover(paths: list[Path]) -> list[Path]:
    """The files named, and every file below the folders named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise InfluenceError(f"input not found: {path}")
    return [f.resolve() for f in files]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_lines(spark: SparkSession, path: Path) -> DataFrame:
    """``(line_no, value)`` for every line of a plain or .gz text file; line_no is 1-based."""
    text = spark.read.text(str(path))
    numbered = text.rdd.zipWithIndex().map(lambda pair: (pair[1] + 1, pair[0][0]))
    return spark.createDataFrame(numbered, _LINES)
