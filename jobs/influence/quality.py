"""Great Expectations audits derived from the table contracts in ``schemas/``.

Every table's suite comes from its one declaration: non-nullable columns must not be
null, declared ranges and allowed values hold, and the key is unique. Candidate rows are
audited before they are published (write-audit-publish).

Two suites per table, both from that one list of expectations: the *verdict* is one
``UnexpectedRowsExpectation`` query (rows that break any column expectation, and keys held
twice), which Spark answers in two jobs; the *contract* suite holds the
expectations one by one and runs only when the verdict fails, to say which broke, how
often and on which values. The contract suite costs GX bookkeeping per expectation: on
`python -m bench.score_stages`, 1.3-1.7 s for the 60 of gold/influencer_scores against
0.3-0.4 s for the verdict.

A command audits every table it publishes in one run (:func:`require_all`): the tables'
verdict queries in one query, one GX validation, its rows read once; a table's own suites
run only when that verdict fails, to name the table and describe what broke.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from pyspark.sql import DataFrame

from influence import tables
from influence.errors import AuditFailed

@dataclass(frozen=True)
class AuditResult:
    table: str
    success: bool
    evaluated: int
    failures: list[str]
    # The Great Expectations validation result, as JSON-ready data: with counts and
    # sample values per expectation only when the audit failed.
    details: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def expectations_for(contract: tables.Table) -> list:
    """The GX expectations that a table's contract implies."""
    _context()
    import great_expectations as gx

    found = []
    for column in contract.columns:
        if not column.nullable:
            found.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.min is not None or column.max is not None:
            found.append(gx.expectations.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=column.min, max_value=column.max))
        if column.allowed:
            found.append(gx.expectations.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.allowed)))
    if len(contract.key) == 1:
        found.append(gx.expectations.ExpectColumnValuesToBeUnique(column=contract.key[0]))
    elif contract.key:
        found.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key)))
    return found


def _sql_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def _broken_by(expectation) -> str | None:
    """A Spark SQL predicate true on the rows that break a column expectation (None: a key's)."""
    import great_expectations as gx

    column = f"`{getattr(expectation, 'column', '')}`"
    if isinstance(expectation, gx.expectations.ExpectColumnValuesToNotBeNull):
        return f"{column} IS NULL"
    if isinstance(expectation, gx.expectations.ExpectColumnValuesToBeBetween):
        # As GX: a null is not judged here, and NaN lies above every bound (Spark's order).
        bounds = [f"{column} >= {_sql_literal(expectation.min_value)}" if expectation.min_value is not None else None,
                  f"{column} <= {_sql_literal(expectation.max_value)}" if expectation.max_value is not None else None]
        return f"({column} IS NOT NULL AND NOT ({' AND '.join(b for b in bounds if b)}))"
    if isinstance(expectation, gx.expectations.ExpectColumnValuesToBeInSet):
        return f"({column} IS NOT NULL AND {column} NOT IN ({', '.join(map(_sql_literal, expectation.value_set))}))"
    if isinstance(expectation, (gx.expectations.ExpectColumnValuesToBeUnique,
                                gx.expectations.ExpectCompoundColumnsToBeUnique)):
        return None
    raise TypeError(f"no verdict query for {type(expectation).__name__}")


def verdict_query(contract: tables.Table, source: str = "{batch}") -> str | None:
    """The contract's expectations as one Spark SQL query over ``source`` (a view name, or
    GX's ``{batch}``): the rows that break any column expectation, and the keys held twice,
    each naming its ``rule`` and carrying the key columns; None when the contract has no rule."""
    broken = [p for p in map(_broken_by, expectations_for(contract)) if p]
    key = ", ".join(f"`{c}`" for c in contract.key)
    queries = []
    if broken:
        columns = f"{key}, " if key else ""
        queries.append(f"SELECT {columns}'breaks a column expectation' AS rule FROM {source} "
                       f"WHERE {' OR '.join(broken)}")
    if contract.key:
        queries.append(f"SELECT {key}, 'key held by two rows' AS rule FROM {source} "
                       f"GROUP BY {key} HAVING COUNT(*) > 1")
    return " UNION ALL ".join(queries) or None


def verdict_expectations(contract: tables.Table) -> list:
    """The contract's expectations as one query: the rows breaking any column one, and the keys held twice.

    One ``UnexpectedRowsExpectation`` (GX answers it with a count and a sample: two Spark
    jobs per table, where a query per kind of rule took four). Each unexpected row names
    its ``rule`` and carries the key columns, so a sample says what broke. GX runs the
    query on a temporary view it names ``tmp_view`` in the session, so audits in one
    session run one at a time (they do: a command audits its tables in turn). A failed
    query fetches at most GX's MAX_RESULT_RECORDS of the offending rows.
    """
    _context()
    import great_expectations as gx

    query = verdict_query(contract)
    if query is None:
        return []
    return [gx.expectations.UnexpectedRowsExpectation(
        description=f"{contract.name}: no row breaks a column expectation of its contract and no key "
                    "is held by two rows",
        unexpected_rows_query=query)]


_building = threading.RLock()


def _built_once(build):
    """``functools.cache`` that a second thread can call while the first is still building."""
    cached = functools.cache(build)

    @functools.wraps(build)
    def guarded(*args):
        with _building:
            return cached(*args)

    def cache_clear() -> None:
        with _building:  # not while another thread is filling it
            cached.cache_clear()

    guarded.cache_clear = cache_clear
    return guarded


def prepare(*table_names: str) -> threading.Thread:
    """Import Great Expectations and build these tables' suites in a background thread.

    That takes seconds of one core and needs no Spark, so a command starts it before
    the Spark session and the work overlaps the JVM's start-up. A failure here is left
    for the audit itself to raise, in the thread that can report it. Not a daemon: one
    stopped halfway through an import at the interpreter's exit can crash it.
    """
    def build() -> None:
        try:
            for name in table_names:
                _suite(name, "verdict")
                _suite(name, "contract")
        except Exception:  # noqa: BLE001 - the audit raises it again where it is handled
            pass

    _quiet_gx()  # the environment is set here, not in the thread beside the JVM's launch
    thread = threading.Thread(target=build, name="prepare audits")
    thread.start()
    return thread


def _quiet_gx() -> None:
    # GX reports usage over the network by default; our users did not ask for that.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@_built_once
def _context():
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


SUITES = {"verdict": verdict_expectations, "contract": expectations_for}


@_built_once
def _suite(table_name: str, kind: str):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{table_name} {kind}", expectations=SUITES[kind](tables.table(table_name)))
    return _context().suites.add(suite)


@_built_once
def _batch(table_name: str):
    # The data source reaches for the Spark session, so this part waits for it. GX would cache
    # every candidate frame and never release it: in one long session (a backfill) each
    # date's scores stayed pinned in memory. The caller caches what it reuses.
    source = _context().data_sources.add_or_update_spark(name=f"candidate {table_name}", persist=False)
    return source.add_dataframe_asset(name=table_name).add_batch_definition_whole_dataframe("candidate rows")


@_built_once
def _validation(table_name: str, kind: str):
    import great_expectations as gx

    return _context().validation_definitions.add(gx.ValidationDefinition(
        name=f"audit {table_name} ({kind})", data=_batch(table_name), suite=_suite(table_name, kind)))


def _describe(result) -> str:
    config = result.expectation_config
    details = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    subject = details.pop("column", None) or details.pop("column_list", None)
    unexpected = result.result.get("unexpected_count")
    samples = result.result.get("partial_unexpected_list") or []
    text = f"{config.type} on {subject}"
    if details:
        text += f" {details}"
    if unexpected is not None:
        text += f": {unexpected} unexpected"
    if samples:
        text += f" (e.g. {samples[:3]})"
    return text


def audit(df: DataFrame, table_name: str) -> AuditResult:
    """Validate candidate rows against their table's contract.

    The verdict suite decides (see the module docstring); only a failed verdict runs the
    contract suite, expectation by expectation with counts and sample values, to describe
    it. Rows that failed the verdict fail, even if a recomputed frame passes the second
    pass. ``evaluated`` counts the contract's expectations, which the verdict covers.
    """
    args = {"batch_parameters": {"dataframe": df}}
    evaluated = len(_suite(table_name, "contract").expectations)
    verdict = _validation(table_name, "verdict").run(**args, result_format="BOOLEAN_ONLY")
    if verdict.success:
        return AuditResult(table_name, True, evaluated, [], verdict.to_json_dict())
    described = _validation(table_name, "contract").run(**args)
    failures = [_describe(r) for r in described.results if not r.success] or [
        f"{r.expectation_config.description} (not failed again by the pass that samples the values)"
        for r in verdict.results if not r.success]
    return AuditResult(table_name, False, evaluated, failures, described.to_json_dict())


def require(df: DataFrame, table_name: str) -> AuditResult:
    """Audit and raise ``AuditFailed`` (with a readable summary) unless every expectation holds."""
    outcome = audit(df, table_name)
    if not outcome.success:
        raise AuditFailed(table_name, outcome.failures, outcome.details)
    return outcome


# GX runs an UnexpectedRowsExpectation's query with {batch} replaced by this view of the batch.
GX_BATCH_VIEW = "tmp_view"


def _view(table_name: str) -> str:
    """The session's temporary view of a table's candidate rows during a run's audit."""
    return "influence_candidate_" + re.sub(r"\W", "_", table_name)


def run_verdict_query(table_names: tuple[str, ...]) -> str | None:
    """Every table's verdict query (:func:`verdict_query`) in one: ``table, rule`` for each row
    that breaks a rule. The first table is GX's ``{batch}``, the others their :func:`_view`."""
    parts = []
    for number, name in enumerate(table_names):
        query = verdict_query(tables.table(name), "{batch}" if number == 0 else _view(name))
        if query:
            parts.append(f"SELECT '{name}' AS `table`, rule FROM ({query})")
    # One partition: a handful of rows (none, when the run is good) that GX counts, then samples.
    return f"SELECT /*+ COALESCE(1) */ * FROM ({' UNION ALL '.join(parts)})" if parts else None


@_built_once
def _run_validation(table_names: tuple[str, ...]):
    import great_expectations as gx

    listed = ", ".join(table_names)
    suite = _context().suites.add(gx.ExpectationSuite(name=f"run verdict: {listed}", expectations=[
        gx.expectations.UnexpectedRowsExpectation(
            description=f"{listed}: no row breaks a column expectation of its table's contract and no key is "
                        "held by two rows",
            unexpected_rows_query=run_verdict_query(table_names))]))
    return _context().validation_definitions.add(gx.ValidationDefinition(
        name=f"audit {listed}", data=_batch(table_names[0]), suite=suite))


def require_all(candidates: Mapping[str, DataFrame]) -> dict[str, AuditResult]:
    """Audit the candidate rows of every table a run publishes in one Great Expectations run,
    and raise ``AuditFailed`` for the first table that fails (described as :func:`require` does).

    One validation, one query over all the tables (:func:`run_verdict_query`), where a
    validation per table cost GX's bookkeeping and two Spark jobs each. GX counts the
    query's rows, then samples them; the rows are cached by Spark's own cache before GX asks
    (the same query over the same views), so the tables are read once. Only a failed verdict
    audits the tables one by one, to say which broke and how. The candidates are registered
    as temporary views for the run, so one session audits one run at a time.
    """
    names = tuple(candidates)
    query = run_verdict_query(names)
    evaluated = {name: len(_suite(name, "contract").expectations) for name in names}
    if query is None:
        return {name: AuditResult(name, True, evaluated[name], []) for name in names}
    first = candidates[names[0]]
    spark = first.sparkSession
    for name in names[1:]:
        candidates[name].createOrReplaceTempView(_view(name))
    try:
        first.createOrReplaceTempView(GX_BATCH_VIEW)
        unexpected = spark.sql(query.replace("{batch}", GX_BATCH_VIEW)).cache()
        try:
            verdict = _run_validation(names).run(batch_parameters={"dataframe": first}, result_format="BOOLEAN_ONLY")
        finally:
            unexpected.unpersist()
    finally:
        for name in names[1:]:
            spark.catalog.dropTempView(_view(name))
    if verdict.success:
        details = verdict.to_json_dict()
        return {name: AuditResult(name, True, evaluated[name], [], details) for name in names}
    for name in names:
        require(candidates[name], name)
    raise AuditFailed(", ".join(names), ["the run's verdict failed, but no table failed again on its own (were the "
                                         "candidate rows recomputed differently?)"], verdict.to_json_dict())


AUDITS_FOLDER = "_audits"


@contextmanager
def kept_on_failure(lake_root: Path, as_of: date, run_id: str) -> Iterator[None]:
    """Keep the validation result of a failed audit as ``<lake>/_audits/<as_of>_<run_id>.json``.

    Nothing is published after a failed audit, so this file is what remains of the run:
    which expectations failed on which rows, for whoever fixes the cause.
    """
    try:
        yield
    except AuditFailed as exc:
        folder = Path(lake_root) / AUDITS_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"{as_of.isoformat()}_{run_id}.json"
        record = {"run_id": run_id, "as_of": as_of.isoformat(), "table": exc.table, "success": False,
                  "failed_at": datetime.now(timezone.utc).isoformat(), "failures": exc.failures,
                  "validation_result": exc.details}
        kept.write_text(json.dumps(record, indent=2, default=str))
        exc.kept = kept
        exc.args = (f"{exc.args[0]}; validation result kept in {kept}",)
        raise
