"""Great Expectations audits derived from the table contracts in ``schemas/``.

Every table's suite comes from its one declaration: non-nullable columns must not be
null, declared ranges and allowed values hold, and the key is unique. Candidate rows are
audited before they are published (write-audit-publish).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

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
                _suite(name)
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


@_built_once
def _suite(table_name: str):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{table_name} contract", expectations=expectations_for(tables.table(table_name)))
    return _context().suites.add(suite)


@_built_once
def _validation(table_name: str):
    # The data source reaches for the Spark session, so this part waits for it.
    import great_expectations as gx

    context = _context()
    source = context.data_sources.add_or_update_spark(name=f"candidate {table_name}")
    batch = source.add_dataframe_asset(name=table_name).add_batch_definition_whole_dataframe("candidate rows")
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=f"audit {table_name}", data=batch, suite=_suite(table_name)))


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
    """Validate candidate rows against their table's suite.

    The first pass asks only whether each expectation holds, which GX computes in a few
    bundled aggregations; sampling the unexpected values to describe a failure takes a
    scan per expectation, so only a failed audit runs that second pass. The first pass
    decides: rows that failed it fail, even if a recomputed frame passes the second.
    """
    validation = _validation(table_name)
    verdict = validation.run(batch_parameters={"dataframe": df}, result_format="BOOLEAN_ONLY")
    if verdict.success:
        return AuditResult(table_name, True, len(verdict.results), [], verdict.to_json_dict())
    described = validation.run(batch_parameters={"dataframe": df})
    failures = [_describe(r) for r in described.results if not r.success] or [
        f"{_describe(r)} (not failed again by the pass that samples the values)" for r in verdict.results
        if not r.success]
    return AuditResult(table_name, False, len(verdict.results), failures, described.to_json_dict())


def require(df: DataFrame, table_name: str) -> AuditResult:
    """Audit and raise ``AuditFailed`` (with a readable summary) unless every expectation holds."""
    outcome = audit(df, table_name)
    if not outcome.success:
        raise AuditFailed(table_name, outcome.failures, outcome.details)
    return outcome


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
