"""The ``influence`` command."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from influence.config import ConfigError, Settings, load_config
from influence.errors import InfluenceError
from influence.generate import DEFAULT_END, SAMPLE_DAYS, SAMPLE_SEED, SAMPLE_USERS

app = typer.Typer(
    name="influence",
    help="Find the people who move a market: interaction exports in, influence scores out, as Delta tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _parse_date(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


ConfigOption = Annotated[Optional[Path], typer.Option("--config", help="YAML config file (see the README's Configuration).")]
MasterOption = Annotated[Optional[str], typer.Option("--master", help="Spark master URL; default local[*] or $SPARK_MASTER.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout instead of tables.")]
LakeOption = Annotated[Path, typer.Option("--lake", help="Lake folder holding the Delta tables.")]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Date to score, YYYY-MM-DD, or latest (the default): the latest event date in bronze.")]
LATEST = "latest"
WindowDaysOption = Annotated[Optional[int], typer.Option(min=1, help="Window length in days (default 90, or config).")]


def _parse_as_of(value: Optional[str]) -> Optional[date]:
    """An --as-of value: a date, or None for ``latest`` (the latest event date in bronze)."""
    return None if value == LATEST else _parse_date(value)


class Engine(str, Enum):
    auto = "auto"
    networkit = "networkit"
    graphframes = "graphframes"


EngineOption = Annotated[Optional[Engine], typer.Option(
    "--engine", help="Graph engine; auto (default, or config `engine`) picks by graph size.")]


def _settings(config: Optional[Path], master: Optional[str]) -> Settings:
    return load_config(config, overrides={"spark": {"master": master}} if master else None)


@contextmanager
def _progress(quiet: bool = False) -> Iterator[Any]:
    """A ``step(name)`` context manager that shows a spinner and the time each step took."""
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=err, disable=quiet, transient=False)

    @contextmanager
    def step(name: str) -> Iterator[None]:
        task = progress.add_task(name, total=1)
        described = _describe_jobs(name)
        try:
            yield
        finally:
            if described:
                _describe_jobs(None)
            progress.update(task, completed=1)

    with progress:
        yield step


def _describe_jobs(name: Optional[str]) -> bool:
    """Label the Spark jobs that follow with a step's name (the Spark UI and event log show
    it); False when no session is running yet."""
    pyspark_sql = sys.modules.get("pyspark.sql")  # not imported: no session, and no import for it
    active = pyspark_sql and pyspark_sql.SparkSession.getActiveSession()
    if not active:
        return False
    active.sparkContext.setJobDescription(name)
    return True


def _bytes_under(paths: list[Path]) -> int:
    """The bytes of the files at or under ``paths`` (what a command will read)."""
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*") if p.is_dir() else []) if f.is_file()]
    return sum(f.stat().st_size for f in files)


def _execute(config: Optional[Path], master: Optional[str], quiet: bool, work: Callable[..., Any],
             audits: tuple[str, ...] = (), exports: Optional[list[Path]] = None,
             bronze_of: Optional[Path] = None) -> Any:
    """Load the settings, start Spark and run ``work(spark, settings, step)`` with progress.

    ``audits`` names the tables whose audits ``work`` runs: they are built while Spark starts.
    The size of the ``exports`` the command reads (None: unknown) and of the bronze table of
    the lake ``bronze_of`` it scores (None: none) picks the JVM's tuning
    (``influence.spark.for_input``).
    """
    with _user_errors():
        settings = _settings(config, master)
        from influence import tables
        from influence.spark import for_input, get_spark, submitted

        settings = for_input(settings, None if exports is None else _bytes_under(exports),
                             0 if bronze_of is None else _bytes_under([bronze_of / tables.INTERACTIONS]))

        if audits and not submitted():  # under spark-submit the JVM is up already: nothing to overlap
            from influence import quality

            quality.prepare(*audits)
        with _progress(quiet=quiet) as step:
            with step("start Spark"):
                spark = get_spark(settings)
            return work(spark, settings, step)


def _preflight(inputs: Optional[list[Path]] = None, profile: Optional[str] = None,
               bronze_of: Optional[Path] = None) -> None:
    """The mistakes that need no Spark to see, caught before Spark takes its half minute to start."""
    from influence import tables
    from influence.io.exports import discover
    from influence.profiles import load_profile

    with _user_errors():
        if inputs:
            discover(inputs)
        if profile:
            load_profile(profile)
        if bronze_of is not None and not (bronze_of / tables.INTERACTIONS / "_delta_log").is_dir():
            where = "no lake" if not bronze_of.exists() else "no bronze/interactions table"
            raise InfluenceError(f"{where} at {bronze_of}: nothing has been written to {tables.INTERACTIONS}; "
                                 f"ingest an export first (influence ingest --lake {bronze_of} FILE)")


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def _user_errors() -> Iterator[None]:
    from influence.graph.pagerank import NotConverged

    try:
        yield
    except (InfluenceError, ConfigError, NotConverged) as exc:
        _fail(str(exc))


def _print_json(payload: Any) -> None:
    out.print_json(json.dumps(payload, default=str))


def _print_rows(title: str, columns: tuple[str, ...], rows: list[tuple], left: tuple[str, ...]) -> None:
    """A table of rows: the ``left`` columns are text, the others figures (counts get thousands separators)."""
    table = Table(title=title)
    for name in columns:
        table.add_column(name, justify="left" if name in left else "right")
    for row in rows:
        table.add_row(*(f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
                        for value in row))
    out.print(table)


def _top_table(top: list[dict[str, Any]], as_of: date) -> Table:
    table = Table(title=f"Top influencers as of {as_of}")
    table.add_column("rank", justify="right", no_wrap=True)
    table.add_column("user", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("pagerank", justify="right", no_wrap=True)
    table.add_column("community", no_wrap=True)
    table.add_column("why (explanation, first reasons)", ratio=1)
    for row in top:
        reasons = row["explanation"].split("; ")
        why = "; ".join(reasons[:2]) + ("; ..." if len(reasons) > 2 else "")
        table.add_row(str(row["rank"]), row["user_id"], f"{row['influence_score']:.1f}", f"{row['pagerank']:.5f}",
                      row["community_id"], why)
    return table


def _audience_sources(posts_by_source: dict[str, int]) -> str:
    """``{"export": 3, "estimate": 10, "default": 0}`` -> "10 estimated, 3 from the export"."""
    said = {"export": "from the export", "estimate": "estimated from engagement", "default": "the default audience"}
    parts = [f"{n:,} {said[source]}" for source, n in sorted(posts_by_source.items(), key=lambda kv: -kv[1]) if n]
    return ", ".join(parts) or "no visible posts"


def _betweenness_line(summary: dict) -> str:
    """How far pair sampling got: "betweenness from 185,364 sampled pairs: the top is resolved ..."."""
    said = {"resolved": "the top is resolved", "pair_budget": "paths.pair_budget stopped it, the top not resolved",
            "time_budget": "paths.pair_time_budget_seconds stopped it, the top not resolved"}
    line = (f"betweenness from {summary['betweenness_pairs']:,} sampled pairs: {said[summary['betweenness_stop']]} "
            f"(the widest bound among the top 100 is {summary['betweenness_top_error_ratio']:.0%} of its estimate")
    if not summary["betweenness_top100_resolved"] and summary.get("betweenness_pairs_for_top100"):
        line += f"; every bound below half the 100th value would take about {summary['betweenness_pairs_for_top100']:,}"
    return line + ")"


def _authenticity_line(summary: dict) -> str:
    """What engagement authenticity found and what it moved, in one line."""
    if summary["authenticity"] != "on":
        return f"engagement authenticity {summary['authenticity']}"
    groups = {d: n for d, n in (summary.get("anomaly_groups") or {}).items() if n}
    if not groups:
        return "engagement authenticity: no group flagged"
    found = ", ".join(f"{n:,} {d.replace('_', ' ')}" for d, n in groups.items())
    line = (f"engagement authenticity: {found} group(s) flagged, {summary['flagged_accounts']:,} accounts "
            "(gold/engagement_anomalies)")
    if summary.get("authentic_scores"):
        line += (f"; scored on authentic PageRank: {summary['users_moved']:,} users moved (at most "
                 f"{summary['rank_shift_max']:,} places), {summary['top100_pushed_out']:,} pushed out of the top 100")
    return line


def _print_scored(report) -> None:
    summary = report.summary
    out.print(f"scored {report.users:,} users, {report.edges:,} edges, {report.interactions:,} interactions "
              f"in the {report.window_days} days up to {report.as_of}")
    out.print(f"engine {report.engine} ({summary['engine_reason']}); betweenness and harmonic "
              f"{summary['betweenness_method']}; {summary['communities']:,} communities, "
              f"modularity {summary['modularity']:.3f}", highlight=False)
    if summary.get("betweenness_pairs"):
        out.print(_betweenness_line(summary), highlight=False)
    if summary.get("impressions_top_share_80") is not None:
        out.print(f"{summary['impressions']:,} impressions; {summary['impressions_top_share_80']:.0%} of users "
                  f"generate 80% of them (Gini {summary['impressions_gini']:.2f}); "
                  f"{summary['mass_influencers']:,} mass influencers", highlight=False)
    if summary.get("audience_sources"):
        out.print(f"audiences of visible posts: {_audience_sources(summary['audience_sources'])}; mass roles "
                  f"{summary['mass_roles_reason']}", highlight=False)
    if summary.get("authenticity"):
        out.print(_authenticity_line(summary), highlight=False)
    for trait in summary.get("majority_illusion", []):
        if trait["meaningful"] and trait["illusion_share"] > trait["prevalence"]:
            out.print(f"majority illusion on {trait['trait']}: held by {trait['prevalence']:.0%} of users, but "
                      f"{trait['illusion_share']:.0%} of engagers see a majority holding it", highlight=False)
    out.print(_top_table(report.top, report.as_of))


def _ingest_table(reports) -> Table:
    table = Table(title="Ingested files")
    table.add_column("file", overflow="fold")
    for name in ("profile", "status"):
        table.add_column(name, no_wrap=True)
    for name in ("read", "accepted", "quarantined", "duplicate"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in reports:
        table.add_row(Path(r.path).name, r.profile, r.status, f"{r.rows_read:,}", f"{r.rows_accepted:,}",
                      f"{r.rows_quarantined:,}", f"{r.rows_duplicate:,}")
    return table


def _print_ingested(reports) -> None:
    out.print(_ingest_table(reports))
    for r in reports:
        if r.status == "already ingested":
            out.print(f"skipped {r.path}: already ingested (same sha256)", highlight=False, soft_wrap=True)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")],
    users: Annotated[int, typer.Option(min=2, help="Number of users.")] = SAMPLE_USERS,
    days: Annotated[int, typer.Option(min=1, help="Days of activity, ending on --end.")] = SAMPLE_DAYS,
    end: Annotated[Optional[str], typer.Option(help=f"Last day, YYYY-MM-DD (default {DEFAULT_END}).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same arguments, same bytes.")] = SAMPLE_SEED,
    fmt: Annotated[str, typer.Option("--format", help="Export format: jsonl (with followers and hashtags), csv or snap.")] = "jsonl",
    inject: Annotated[Optional[str], typer.Option(
        help="Known abuse to add on new accounts, a comma list of pods, rings, bursts; its ground truth "
             "(account,group,kind) goes beside the export as NAME.truth.csv.")] = None,
    inject_seed: Annotated[Optional[int], typer.Option(help="Seed of the injected abuse (default --seed).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a realistic synthetic export (communities, bridges, heavy-tailed activity)."""
    from influence import generate as generator

    last_day = _parse_date(end) or DEFAULT_END
    try:
        kinds = generator.parse_inject(inject or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--inject") from None
    try:
        path = generator.write_export(out_dir, users=users, days=days, end=last_day, seed=seed, fmt=fmt,
                                      inject=kinds, inject_seed=inject_seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None
    lines = sum(1 for _ in path.open())
    truth = generator.truth_path(path) if kinds else None
    if as_json:
        _print_json({"path": str(path), "interactions": lines, **({"truth": str(truth)} if truth else {})})
    else:
        out.print(f"wrote {lines:,} interactions to {path}" + (f" and the injected abuse to {truth}" if truth else ""))


@app.command()
def ingest(
    lake: LakeOption,
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Export files or folders (plain, .gz or .zip).")] = None,
    landing: Annotated[Optional[Path], typer.Option(help="Landing folder: ingest every file in it not ingested yet.")] = None,
    profile: Annotated[Optional[str], typer.Option(help="Profile name (snap) or a profile YAML file; default from the file name.")] = None,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest export files into bronze: each line accepted, quarantined or a duplicate.

    Exits 1 after landing what was good when a file is partial or refused, or when its
    quarantined share exceeds max_quarantine_share, so that a scheduler alerts.
    """
    from influence.pipelines import ingest as pipeline

    if bool(paths) == bool(landing):
        raise typer.BadParameter("give export PATHs or --landing DIR (one of the two)")
    _preflight(paths, profile)

    def work(spark, settings, step):
        inputs = paths
        if landing is not None:
            if not landing.is_dir():
                raise InfluenceError(f"landing folder not found: {landing}")
            with step(f"look for new files in {landing}"):
                inputs = pipeline.not_yet_ingested(spark, lake, landing)
            if not inputs:
                return []
        return pipeline.run(spark, settings, lake, inputs, profile, step=step)

    reports = _execute(config, master, as_json, work, audits=pipeline.AUDITED, exports=paths)
    if as_json:
        _print_json([r.as_dict() for r in reports])
    elif reports:
        _print_ingested(reports)
    else:
        out.print(f"nothing new in {landing}", highlight=False)
    _fail_on_file_problems(reports)


def _fail_on_file_problems(reports) -> None:
    problems = [r.problem for r in reports if r.problem]
    for problem in problems[:-1]:
        err.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
    if problems:
        _fail(problems[-1])


@app.command()
def score(
    lake: LakeOption,
    as_of: AsOfOption = None,
    window_days: WindowDaysOption = None,
    engine: EngineOption = None,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Build the graph for the window and publish edges, scores and the network summary for that date."""
    from influence.pipelines import score as pipeline

    as_of_date = _parse_as_of(as_of)
    _preflight(bronze_of=lake)
    report = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(
        spark, settings, lake, as_of_date, window_days, engine and engine.value, step=step),
        audits=pipeline.AUDITED, exports=[], bronze_of=lake)
    if as_json:
        _print_json(asdict(report))
    else:
        _print_scored(report)


@app.command()
def run(
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Export files or folders; none: the built-in sample.")] = None,
    lake: Annotated[Path, typer.Option("--lake", help="Lake folder holding the Delta tables.")] = Path("lake"),
    as_of: AsOfOption = None,
    engine: EngineOption = None,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """The whole pipeline: ingest, score, publish, and print the top influencers."""
    from influence.pipelines import run as pipeline

    as_of_date = _parse_as_of(as_of)
    _preflight(inputs)
    report = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(
        spark, settings, lake, inputs, as_of_date, engine and engine.value, step=step),
        audits=pipeline.AUDITED, exports=inputs or [], bronze_of=lake)  # no inputs: the small sample
    scored = report.scored
    if as_json:
        _print_json({"inputs": report.inputs, "ingested": [r.as_dict() for r in report.ingested],
                     "scored": asdict(scored)})
    else:
        _print_ingested(report.ingested)
        _print_scored(scored)
        out.print(f"tables under {lake.resolve()}", highlight=False, soft_wrap=True)
    _fail_on_file_problems(report.ingested)


@app.command()
def report(
    lake: LakeOption,
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write (one self-contained page).")],
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Scored date to report, YYYY-MM-DD; default the latest scored date.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a scored date as one self-contained HTML report (opens with no network).

    Summary, shortlist, centers of influence, impressions, roles, majority illusion and what
    changed since the previous scored date. Reads the gold tables without Spark.
    """
    from influence.pipelines import report as pipeline

    as_of_date = _parse_date(as_of)
    with _user_errors(), _progress(quiet=as_json) as step:
        result = pipeline.run(lake, out_file, as_of_date, step=step)
    if as_json:
        _print_json(asdict(result))
    else:
        previous = f"compared with {result.previous}" if result.previous else "first scored date"
        out.print(f"report of {result.as_of} ({previous}): {result.path} ({result.bytes / 1024:,.0f} KiB)",
                  highlight=False, soft_wrap=True)


@app.command()
def pull(
    landing: Annotated[Optional[Path], typer.Option(help="Landing folder; default the config's pull.landing.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pull new export files from the configured sources (pull.sources) into the landing zone.

    Each file lands whole or not at all, under <landing>/<source name>/; a broken transfer
    is retried. Exits 1, after landing what was good, when a source or a file fails.
    """
    from influence.io import sources

    with _user_errors():
        settings = _settings(config, None)
        if not settings.pull.sources:
            raise InfluenceError("no sources configured: list them under pull.sources in the config (see the README)")
        with _progress(quiet=as_json) as step, step("pull from " + ", ".join(s.name for s in settings.pull.sources)):
            report = sources.pull(settings.pull, landing)
    if as_json:
        _print_json({"files": [f.as_dict() for f in report.files], "failures": report.failures})
    else:
        _print_rows("Pulled files", ("source", "file", "status", "bytes", "attempts"),
                    [(f.source, f.name, f.status, f.size_bytes, f.attempts or "") for f in report.files],
                    left=("source", "file", "status"))
    for failure in report.failures[:-1]:
        err.print(f"[bold red]error:[/] {failure}", highlight=False, soft_wrap=True)
    if report.failures:
        _fail(report.failures[-1])


@app.command()
def backfill(
    lake: LakeOption,
    start: Annotated[str, typer.Option(help="First date to score, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last date to score, YYYY-MM-DD (included).")],
    window_days: WindowDaysOption = None,
    engine: EngineOption = None,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score every date from --start to --end, in order; rerunning a range gives the same rows."""
    from influence.pipelines import backfill as pipeline

    first, last = _parse_date(start), _parse_date(end)
    with _user_errors():
        pipeline.dates(first, last)  # a bad range fails before Spark starts
    _preflight(bronze_of=lake)
    reports = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(
        spark, settings, lake, first, last, window_days, engine and engine.value, step=step),
        audits=pipeline.AUDITED)
    if as_json:
        _print_json([asdict(r) for r in reports])
        return
    _print_rows(f"Scored {len(reports)} dates", ("as of", "users", "edges", "interactions", "engine"),
                [(r.as_of, r.users, r.edges, r.interactions, r.engine) for r in reports], left=("as of", "engine"))


@app.command()
def maintain(
    lake: LakeOption,
    retain_hours: Annotated[Optional[int], typer.Option(
        min=0, help="VACUUM keeps files that versions of the last H hours need (default 168, or config).")] = None,
    force: Annotated[bool, typer.Option(help="Allow a retention below maintenance.safe_retain_hours (default 168; breaks time travel beyond it).")] = False,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """OPTIMIZE (compact small files) and VACUUM (delete unneeded old files) every table of the lake."""
    from influence.pipelines import maintain as pipeline

    with _user_errors():
        maintenance = _settings(config, master).maintenance
        hours = retain_hours if retain_hours is not None else maintenance.retain_hours
        pipeline.check_retention(hours, maintenance.safe_retain_hours, force)  # refused before Spark starts
    done = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(
        spark, lake, hours, settings.maintenance.safe_retain_hours, force, step=step))
    if as_json:
        _print_json({"retain_hours": hours, "tables": [d.as_dict() for d in done]})
        return
    _print_rows(f"Maintained (VACUUM retention {hours} h)", ("table", "files before", "files after", "version"),
                [(d.table, d.files_before, d.files_after, f"{d.version_before} -> {d.version_after}") for d in done],
                left=("table",))


@app.command()
def plan(
    lake: LakeOption,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Scored date to plan on, YYYY-MM-DD, or latest (the default): the latest scored date.")] = None,
    k: Annotated[Optional[int], typer.Option(
        "--k", help="How many influencers to book (default 10, or config; with --budget, as many as it affords).")] = None,
    reach: Annotated[Optional[int], typer.Option(
        "--reach", help="Audience: 1 = the people who engaged them, 2 = within two hops (default 1, or config).")] = None,
    scope: Annotated[Optional[str], typer.Option(
        "--scope", help="Candidates: global (default), community:<id> or topic:<hashtag>.")] = None,
    costs: Annotated[Optional[Path], typer.Option(
        "--costs", help="CSV with user_id,cost: what booking each costs; only they are candidates.")] = None,
    budget: Annotated[Optional[float], typer.Option("--budget", help="What the plan may spend (with --costs).")] = None,
    require: Annotated[Optional[list[str]], typer.Option(
        "--require", help="An influencer the plan must hold (repeat for more); picked first.")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option(
        "--exclude", help="An influencer the plan must not hold (repeat for more).")] = None,
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Choose the influencers whose audiences together reach the most distinct people.

    Maximum coverage by lazy greedy (reach at least 1 - 1/e of the best k-set's; with costs and a
    budget, 1 - 1/sqrt(e) of the best affordable set's), compared with the top k by influence
    score and by PageRank; the plan that reaches most is kept in gold/campaign_plans, and the
    shortlist's pairwise audience overlap in gold/audience_overlap (docs/planning.md).
    """
    from influence.pipelines import plan as pipeline

    as_of_date = _parse_as_of(as_of)
    if not (lake / "gold" / "influencer_scores" / "_delta_log").is_dir():
        _fail(f"no scored lake at {lake}: run influence score --lake {lake} first")
    with _user_errors():
        wanted = pipeline.request(_settings(config, master), k=k, reach=reach, scope=scope, costs_file=costs,
                                  budget=budget, require=require or (), exclude=exclude or ())
    result = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(
        spark, settings, lake, wanted, as_of_date, step=step), audits=pipeline.AUDITED)
    if as_json:
        _print_json(asdict(result))
        return
    with_costs = wanted.costs is not None
    sketched = result.sizing == "sketch"
    columns = ("pick", "user", "audience", "adds", "reached", "already reached", *(("cost", "adds per cost")
                                                                                   if with_costs else ()))
    rows = [(p["pick_order"], p["user_id"] + (" (required)" if p["required"] else ""), f"{p['audience']:,.0f}",
             f"{p['marginal_reach']:,.0f}", f"{p['cumulative_reach']:,.0f}"
             + (f" ± {p['reach_error']:,.0f}" if sketched else ""), f"{p['overlap_share']:.0%}",
             *((f"{p['cost']:,.2f}", "" if p["reach_per_cost"] is None else f"{p['reach_per_cost']:,.2f}")
               if with_costs else ())) for p in result.picks]
    _print_rows(f"Campaign plan {result.plan_id} on {result.as_of} ({result.method}, {result.sizing} audiences, "
                f"{result.reach_hops} hop{'s' if result.reach_hops == 2 else ''})", columns, rows, left=("user",))
    others = ", ".join(f"{name}: {value:,.0f}" for name, value in result.method_reach.items())
    out.print(f"kept {result.method}: {result.reach:,.0f} distinct people reached by {len(result.picks)} picks among "
              f"{result.candidates:,} candidates ({others}); no plan reaches more than "
              f"{result.optimum_upper_bound:,.0f}", highlight=False, soft_wrap=True)
    out.print(f"guarantee: {result.guarantee}", highlight=False, soft_wrap=True)


@app.command()
def forget(
    lake: LakeOption,
    users: Annotated[list[str], typer.Argument(help="User ids as the exports write them (pseudonymised with the "
                                                    "lake's key when INFLUENCE_PSEUDONYMIZE_KEY is set).")],
    config: ConfigOption = None,
    master: MasterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase people from every table and every older version of the lake (right to erasure).

    Rows about them are deleted, mentions of them replaced by an erased: token, quoted
    lines cleared; then each table's history is dropped (VACUUM with retention 0, logged,
    and the log cut at a checkpoint), so no version returns them. Time travel to earlier
    versions ends. Run it while no ingest or score runs; re-score the dates afterwards so
    that other people's scores no longer count the erased interactions.
    """
    from influence.pipelines import forget as pipeline

    if not lake.is_dir():
        _fail(f"no lake at {lake}: nothing to erase")
    erased = _execute(config, master, as_json, lambda spark, settings, step: pipeline.run(spark, lake, users, step=step))
    err.print("every table's history was dropped: VACUUM with a retention of 0 h, overriding the retention guard "
              "for erasure, and its log cut at a checkpoint; versions before now are gone", highlight=False)
    if as_json:
        _print_json({"users": len(users), "tables": [e.as_dict() for e in erased]})
        return
    _print_rows(f"Erased {len(users)} user(s)", ("table", "rows deleted", "rows redacted", "older versions dropped"),
                [(e.table, e.rows_deleted, e.rows_redacted, e.versions_dropped) for e in erased], left=("table",))
    if not any(e.rows_deleted or e.rows_redacted for e in erased):
        err.print("none of these users was found in the lake (their ids must be written as in the exports)")


def main() -> None:
    app(prog_name="influence")


if __name__ == "__main__":
    sys.exit(main())
