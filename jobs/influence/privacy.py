"""Pseudonymisation: user ids replaced by a keyed hash (HMAC-SHA256) at ingestion.

The key comes from the environment (``INFLUENCE_PSEUDONYMIZE_KEY``; the Airflow
deployment sets it from a connection), never from code, config files or logs. The same
id and key always give the same pseudonym, so graphs and reruns are unchanged; without
the key, a pseudonym cannot be turned back into the id or recomputed from a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import TYPE_CHECKING, Iterable, Mapping

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

if TYPE_CHECKING:
    from influence.config import Settings

KEY_VARIABLE = "INFLUENCE_PSEUDONYMIZE_KEY"
PREFIX = "h:"


def pseudonymization_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The key when pseudonymisation is on, else None."""
    value = (os.environ if environ is None else environ).get(KEY_VARIABLE, "")
    return value.encode() if value else None


def pseudonym(user_id: str, key: bytes) -> str:
    """``h:`` and the hex HMAC-SHA256 of the id under the key."""
    return PREFIX + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()


def pseudonyms(ids: Iterable[str], key: bytes | None) -> tuple[str, ...]:
    """Configured ids (excluded users, PageRank seeds, engaged-account traits) as they appear in a pseudonymised lake."""
    return tuple(ids) if key is None else tuple(pseudonym(i, key) for i in ids)


def pseudonymize(column: Column, key: bytes) -> Column:
    """A column of ids replaced by their pseudonyms (null stays null).

    A pandas UDF rather than Spark's ``sha2``: an HMAC built from SQL functions would put
    the key into the query plan, which Spark prints in logs and its UI.
    """

    @F.pandas_udf("string")
    def keyed(ids: pd.Series) -> pd.Series:
        # stdlib only, so that the function travels to Python workers by value
        known = {i: "h:" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest() for i in ids.dropna().unique()}
        return ids.map(known.get)

    return keyed(column)


def pseudonymize_ids(df: DataFrame, columns: Iterable[str], key: bytes | None) -> DataFrame:
    if key is None:
        return df
    return df.withColumns({name: pseudonymize(F.col(name), key) for name in columns})


def with_pseudonymous_ids(settings: "Settings", key: bytes | None) -> "Settings":
    """The settings with configured ids (excluded users, PageRank seeds, engaged-account traits) as pseudonyms."""
    if key is None:
        return settings
    pagerank = settings.pagerank.model_copy(update={"seeds": pseudonyms(settings.pagerank.seeds, key)})
    traits = tuple(
        f"engaged:{pseudonyms((account,), key)[0]}" if kind == "engaged" else trait
        for trait in settings.illusion.traits for kind, _, account in [trait.partition(":")]
    )
    illusion = settings.illusion.model_copy(update={"traits": traits})
    return settings.model_copy(update={"exclude_users": pseudonyms(settings.exclude_users, key),
                                       "pagerank": pagerank, "illusion": illusion})


# Erasure: what replaces a forgotten person's id where it names them inside a value about
# others (a community named after them, a trait, a list's reason).
ERASED_PREFIX = "erased:"


def id_pattern(user_id: str) -> str:
    """A regular expression (Java's and Python's) for the id as a whole token: not inside a longer id."""
    return r"(?<![\w.@-])" + re.escape(user_id) + r"(?![\w.@-])"


def redacted(column: Column, data_type: T.DataType, pattern: Column, token: Column) -> Column:
    """The value with every match of ``pattern`` replaced by ``token``, in strings at any depth."""
    if isinstance(data_type, T.StringType):
        return F.regexp_replace(column, pattern, token)
    if isinstance(data_type, T.ArrayType):
        return F.transform(column, lambda item: redacted(item, data_type.elementType, pattern, token))
    if isinstance(data_type, T.StructType):
        fields = [redacted(column.getField(f.name), f.dataType, pattern, token).alias(f.name) for f in data_type.fields]
        return F.when(column.isNull(), column).otherwise(F.struct(*fields))
    return column


def mentions(column: Column, data_type: T.DataType, pattern: Column) -> Column:
    """True where the value holds a match of ``pattern`` in some string, at any depth."""
    return ~redacted(column, data_type, pattern, F.lit("\u0000")).eqNullSafe(column)
