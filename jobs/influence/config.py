"""The one configuration object: defaults < YAML file < environment < command line.

Environment variables are ``INFLUENCE_<FIELD>``, with ``__`` between nested fields
(``INFLUENCE_SPARK__DRIVER_MEMORY=8g``); values are parsed as YAML, so lists and maps
can be given inline. ``SPARK_MASTER`` is honoured as Spark's own variable.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CANONICAL_TYPES = ("mention", "reply", "reshare", "quote", "comment", "like", "follow", "message")
ENV_PREFIX = "INFLUENCE_"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says which setting and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkSettings(_Strict):
    master: str = "local[*]"
    app_name: str = "influence"
    driver_memory: str = "4g"
    # Few partitions: the default of 200 costs more than it splits on 2 cores.
    shuffle_partitions: int = Field(4, ge=1)
    # Ivy cache for the JVM packages' JARs; INFLUENCE_JARS_CACHE sets it too.
    jars_cache: Path = Path("~/.cache/influence/jars")
    # GraphFrames' JVM package: by default the official release of the installed graphframes-py
    # (the same version scheme), from Maven Central; a mirror or a local repository (make
    # setup's ../shared/maven) may hold another build of it.
    graphframes_package: str = Field(
        default_factory=lambda: f"io.graphframes:graphframes-spark4_2.13:{metadata.version('graphframes-py')}")
    # Maven repositories tried besides Spark's defaults (local caches, Maven Central), such as
    # a company mirror: spark.jars.repositories.
    repositories: tuple[str, ...] = ()
    checkpoint_dir: Path | None = None
    ui: bool = False
    # The driver maps its classes from the archive set-up made (influence.class_archive).
    class_archive: bool = True
    # The short-run tuning (the JIT's quick compiler only, expressions interpreted, no
    # adaptive execution) for commands whose export files and bronze table are at most these
    # sizes, where the JVM's warm-up is most of the process; "short" or "long" decide it for
    # every command (docs/operations.md, where the sizes come from).
    tuning: Literal["auto", "short", "long"] = "auto"
    short_run_max_export_bytes: int = Field(4 * 2**20, ge=0)
    short_run_max_bronze_bytes: int = Field(16 * 2**20, ge=0)
    # Anything else, passed to the builder as is (spark.* keys).
    conf: dict[str, str] = Field(default_factory=dict)


class PageRankSettings(_Strict):
    damping: float = Field(0.85, gt=0, lt=1)
    tolerance: float = Field(1e-10, gt=0)
    max_iterations: int = Field(200, ge=1)
    # A brand's own accounts: when set, personalized_pagerank teleports to them.
    seeds: tuple[str, ...] = ()


class IngestSettings(_Strict):
    # A longer line is quarantined unread; a larger decompressed export is refused (zip bombs).
    max_line_bytes: int = Field(1_000_000, ge=1)
    max_decompressed_bytes: int = Field(8 * 2**30, ge=1)
    # A file with a larger share of quarantined lines lands what was good, then fails the run.
    max_quarantine_share: float = Field(0.05, ge=0, le=1)


class PathSettings(_Strict):
    """Betweenness and harmonic closeness: exact when cheap, else sampled with a bound."""

    # Exact (all sources) while users x edges stays below this; bench.metrics times exact at 2.4e9.
    exact_max_work: float = Field(1e9, ge=0)
    # Sources drawn otherwise; about 2,000 keep the top 100 at 0.9 overlap with exact.
    samples: int = Field(2048, ge=2)
    # The bounds hold for all users at once with probability 1 - delta.
    delta: float = Field(0.1, gt=0, lt=1)
    # When sampled, this many users of highest harmonic closeness still get exact values.
    harmonic_exact_top: int = Field(100, ge=0)
    # Processes sharing the sampled searches (the driver's cores sit idle meanwhile); 0: one per core.
    workers: int = Field(0, ge=0)
    # Sampled betweenness comes from pairs, drawn until the top is resolved or either budget
    # runs out (the graphframes engine still uses the sources). 2^22 pairs resolve a top whose
    # 100th value is about 5e-5; the time budget is checked between checkpoints.
    pair_budget: int = Field(4_194_304, ge=4096)
    pair_time_budget_seconds: float = Field(300.0, gt=0)


class ReachSettings(_Strict):
    # Exact two-hop reach while the two-hop paths stay below this, else min-hash sketches.
    exact_max_paths: float = Field(5e8, ge=0)
    sketch_size: int = Field(256, ge=2)
    delta: float = Field(0.1, gt=0, lt=1)


class PlanSettings(_Strict):
    # influence plan's defaults: picks, audience hops (1: engaged them; 2: within two hops).
    k: int = Field(10, ge=1)
    reach: int = Field(1, ge=1, le=2)
    # Exact sets on the driver while the candidates' audiences hold at most this many
    # memberships in all; HyperLogLog sketches in Spark beyond (or always, with "sketch").
    exact_max_memberships: float = Field(2e8, ge=0)
    sizing: Literal["auto", "exact", "sketch"] = "auto"
    # Sketch precision: 2^lg_k buckets, relative standard error about 1.04 / sqrt(2^lg_k).
    sketch_lg_k: int = Field(12, ge=4, le=21)
    # A sketched reach_error holds with probability >= 1 - delta per figure (normal approximation).
    delta: float = Field(0.05, gt=0, lt=1)


class CommunitySettings(_Strict):
    resolution: float = Field(1.0, gt=0)


class DenseBlockSettings(_Strict):
    """FRAUDAR's greedy peeling (Hooi et al., KDD 2016); docs/authenticity.md explains each knob."""

    # Column weight 1 / log(in-degree + offset): the paper's discount of popular targets.
    column_offset: float = Field(5.0, gt=1)
    # A block is flagged at this many times the whole graph's suspicious weight per account.
    min_ratio: float = Field(4.0, gt=0)
    # ... with at least this many engaging members, and this share of its possible pairs engaged.
    min_members: int = Field(8, ge=2)
    min_density: float = Field(0.6, gt=0, le=1)
    # A target belongs to a block when at least this share of its suspicious weight comes from it.
    min_owned_share: float = Field(0.5, gt=0, le=1)
    # Peeling rounds at most (each finds one block, then removes its edges).
    max_rounds: int = Field(50, ge=1)


class LockstepSettings(_Strict):
    """CopyCatch-like lockstep on time buckets (Beutel et al., WWW 2013)."""

    # Time bucket; a window is one bucket and the next (neighbouring-bucket tolerance).
    bucket_seconds: int = Field(3600, ge=60)
    # Distinct accounts engaging one target in one window before it can count (the Spark
    # side's pre-filter uses the same number).
    min_accounts: int = Field(10, ge=2)
    # ... and at least this many times the target's usual engagement in a window.
    min_lift: float = Field(10.0, ge=1)
    # An account is in lockstep when this share of its engagement in the window is in hot
    # windows (fresh accounts), or when it took part in this many separate hot episodes.
    min_share: float = Field(0.5, gt=0, le=1)
    min_episodes: int = Field(3, ge=2)
    # A group is reported with at least this many members, and when at least this share of
    # their engagement in the window is in its episodes.
    min_members: int = Field(10, ge=2)
    min_synchrony: float = Field(0.25, ge=0, le=1)


class RingSettings(_Strict):
    """Reciprocal rings: far denser than the members' communities predict."""

    min_members: int = Field(5, ge=3)
    # Share of the members' pairs engaging both ways.
    min_density: float = Field(0.8, gt=0, le=1)
    # Observed reciprocal ties over what the members' communities' reciprocal density predicts.
    min_ratio: float = Field(5.0, gt=0)
    # Share of the members' reciprocal ties that are inside the group.
    min_closure: float = Field(0.85, ge=0, le=1)
    # A community's density is shrunk towards the whole graph's with this many pseudo-pairs.
    prior_pairs: float = Field(100.0, ge=0)


class AttributionSettings(_Strict):
    """Which detector's group an account flagged by several is listed under (``detect``)."""

    # A *wave*: at least this many of a dense block's members engage one of its targets in
    # one lockstep window (two buckets). The Spark pre-filter keeps the (target, window)
    # cells with min(lockstep.min_accounts, wave_accounts) distinct actors.
    wave_accounts: int = Field(4, ge=2)
    # A dense block with at least this share of its engagement in waves is a pod: it keeps its
    # accounts before rings; one below it yields the accounts it shares with a ring.
    min_wave_share: float = Field(0.5, gt=0, le=1)
    # A dense block not in waves is listed only when its members spend at least this share
    # of their engagement on its targets (accounts that do little else); a dense community
    # of real accounts, with lives outside it, is neither.
    min_focus: float = Field(0.75, ge=0, le=1)


class AuthenticitySettings(_Strict):
    """Engagement authenticity (issue 23): dense blocks, lockstep, rings."""

    enabled: bool = True
    # influence_score uses the authentic figures (flagged members' engagement removed).
    authentic_scores: bool = True
    dense_block: DenseBlockSettings = DenseBlockSettings()
    lockstep: LockstepSettings = LockstepSettings()
    ring: RingSettings = RingSettings()
    attribution: AttributionSettings = AttributionSettings()

    @property
    def prefilter_accounts(self) -> int:
        """Distinct actors a (target, window) cell needs for ``detect``'s events: lockstep's
        hot cells and the attribution's waves both need no others."""
        return min(self.lockstep.min_accounts, self.attribution.wave_accounts)


class GraphFramesSettings(_Strict):
    """The graphframes engine's own knobs; the metrics' parameters are shared with the driver engine."""

    # HyperBall's sketches: 2^k registers, relative standard error about 1.04 / sqrt(2^k).
    hll_lg_config_k: int = Field(12, ge=4, le=21)
    # harmonic_error and reach_2hop_error (when sketched) are hll_z standard errors wide.
    hll_z: float = Field(2.0, gt=0)
    # Louvain: at most this many levels, and move rounds per level.
    louvain_max_levels: int = Field(10, ge=1)
    louvain_max_rounds: int = Field(40, ge=1)


VISIBLE_TYPES = ("mention", "reply", "reshare", "quote", "comment")
SCORED_METRICS = ("pagerank", "betweenness", "harmonic", "impressions", "reach_2hop", "in_degree",
                  "engagement_received")


class ImpressionSettings(_Strict):
    """Peer Influence Analysis (Forrester): who generates the impressions."""

    # Interaction types that are posts others see; the rest (like, follow, message) are not.
    visible_types: tuple[str, ...] = VISIBLE_TYPES
    # Where a post's audience comes from when the export gives none: an estimate from the
    # window (the distinct people who engaged the author) or default_audience.
    audience: Literal["export_or_estimate", "export_or_default"] = "export_or_estimate"
    # Impressions of a post whose author's audience is neither given nor estimated.
    default_audience: int = Field(150, ge=0)
    # Platforms whose posts are publications (blogs, forums, reviews): influence_posts.
    publications: tuple[str, ...] = ()

    @field_validator("visible_types")
    @classmethod
    def _canonical(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(types) - set(CANONICAL_TYPES))
        if unknown:
            raise ValueError(f"unknown interaction types {unknown}")
        return types


class RoleSettings(_Strict):
    """Thresholds of SPEC section 7's roles, as shares of a scope's users."""

    broadcaster_top_share: float = Field(0.16, gt=0, le=1)
    # Mass Influencers: the fewest top users by impressions that generate this share of them.
    mass_impressions_share: float = Field(0.8, gt=0, le=1)
    # Mass Influencers and Social Broadcasters are labelled only while those top users are at
    # most this share of active users (with a visible post): Forrester's premise is a minority.
    max_mass_share: float = Field(0.2, gt=0, le=1)
    awareness_top_share: float = Field(0.10, gt=0, le=1)
    conversion_top_share: float = Field(0.10, gt=0, le=1)
    conversion_min_contacts: int = Field(5, ge=1)
    # Conversion is judged inside communities of at least this many users.
    min_community_size: int = Field(10, ge=2)


class ListSettings(_Strict):
    coi_core: int = Field(12, ge=1)
    coi_potential: int = Field(100, ge=0)
    net_of_influence: int = Field(150, ge=1)
    shortlist: int = Field(50, ge=2)
    # A member stays on a list until its rank passes the cut by more than this share of the
    # list's size (12 -> 3 places), so that lists do not churn on small moves.
    hysteresis: float = Field(0.25, ge=0)


class ScopeSettings(_Strict):
    # Communities with at least this many users get their own roles and lists.
    community_min_size: int = Field(50, ge=2)
    # Topics (lower-case hashtags) that get their own roles and lists: everyone who used or
    # was engaged with the topic in the window.
    topics: tuple[str, ...] = ()


class IllusionSettings(_Strict):
    """Majority illusion (Lerman et al. 2016), measured for each trait."""

    # "topic:<hashtag>" (used the topic in the window) or "engaged:<user id>" (engaged that account).
    traits: tuple[str, ...] = ()
    # Besides the configured traits, the most used topics of the window.
    top_topics: int = Field(3, ge=0)
    # Contributors reported per trait.
    contributors: int = Field(10, ge=1)

    @field_validator("traits")
    @classmethod
    def _known_kinds(cls, traits: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in traits if t.partition(":")[0] not in ("topic", "engaged") or not t.partition(":")[2]]
        if bad:
            raise ValueError(f"traits must be topic:<hashtag> or engaged:<user id>, not {bad}")
        return traits


class SourceSettings(_Strict):
    """Where ``influence pull`` finds new export files (SPEC: the landing zone's feeds).

    ``folder``: a local or mounted folder (``path``). ``http``: ``url`` is one file, or a
    folder whose index page links the files (ends with ``/``). ``s3``: ``bucket`` and
    ``prefix`` on S3 or any S3-compatible store. ``conn_id`` names an Airflow connection
    holding the credentials (and, for S3, ``endpoint_url``/``region_name`` in its extra);
    without it, HTTP is anonymous and S3 uses boto3's own credential chain.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["folder", "http", "s3"]
    path: Path | None = None
    url: str | None = None
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: str | None = None
    conn_id: str | None = None
    # Only names matching this glob are pulled.
    pattern: str = "*"

    @model_validator(mode="after")
    def _where(self) -> "SourceSettings":
        needed = {"folder": "path", "http": "url", "s3": "bucket"}[self.kind]
        if getattr(self, needed) in (None, ""):
            raise ValueError(f"source {self.name!r} of kind {self.kind} needs `{needed}`")
        if self.kind == "http" and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"source {self.name!r}: url must start with http:// or https://")
        return self


class PullSettings(_Strict):
    # Pulled files land in <landing>/<source name>/, whole or not at all.
    landing: Path = Path("landing")
    sources: tuple[SourceSettings, ...] = ()
    # Each file is tried this many times, waiting backoff_seconds x 2^(attempt - 1) between.
    attempts: int = Field(3, ge=1)
    backoff_seconds: float = Field(1.0, ge=0)
    timeout_seconds: float = Field(60.0, gt=0)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: tuple[SourceSettings, ...]) -> tuple[SourceSettings, ...]:
        names = [s.name for s in sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique: {repeated}")
        return sources


# Delta's own safety check: VACUUM below 7 days can delete files a reader still needs.
MIN_RETAIN_HOURS = 168


class MaintenanceSettings(_Strict):
    # VACUUM keeps the files that older table versions need for this long.
    retain_hours: int = Field(MIN_RETAIN_HOURS, ge=0)
    # A VACUUM retention below this is refused unless forced: it must outlast the longest
    # job and any time travel a reader relies on.
    safe_retain_hours: int = Field(MIN_RETAIN_HOURS, ge=0)


class OrchestrationSettings(_Strict):
    """What the Airflow DAGs run against (the CLI takes --lake instead)."""

    lake: Path = Path("lake")


class Settings(_Strict):
    spark: SparkSettings = SparkSettings()
    window_days: int = Field(90, ge=1)
    half_life_days: float = Field(30.0, gt=0)
    reciprocity_boost: float = Field(1.5, ge=1)
    type_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "reshare": 3.0, "quote": 3.0, "reply": 2.0, "comment": 2.0,
            "mention": 1.5, "message": 1.0, "follow": 1.0, "like": 0.5,
        }
    )
    exclude_users: tuple[str, ...] = ()
    ingest: IngestSettings = IngestSettings()
    pagerank: PageRankSettings = PageRankSettings()
    paths: PathSettings = PathSettings()
    reach: ReachSettings = ReachSettings()
    communities: CommunitySettings = CommunitySettings()
    # Which engine computes the graph metrics; auto picks by the number of edges.
    impressions: ImpressionSettings = ImpressionSettings()
    # influence_score blends these metrics' percentile ranks (any of SCORED_METRICS).
    score_weights: dict[str, float] = Field(
        default_factory=lambda: {"pagerank": 0.35, "impressions": 0.25, "harmonic": 0.2, "betweenness": 0.2})
    roles: RoleSettings = RoleSettings()
    lists: ListSettings = ListSettings()
    scopes: ScopeSettings = ScopeSettings()
    illusion: IllusionSettings = IllusionSettings()
    plan: PlanSettings = PlanSettings()
    engine: Literal["auto", "networkit", "graphframes"] = "auto"
    graphframes: GraphFramesSettings = GraphFramesSettings()
    authenticity: AuthenticitySettings = AuthenticitySettings()
    # Largest graph (edges) that auto gives the single-machine engine; ~2 GB of driver memory.
    driver_max_edges: int = Field(20_000_000, ge=1)
    # Events dated more than this after the ingest are refused as clock errors.
    max_future_days: float = Field(1.0, ge=0)
    top: int = Field(10, ge=1)
    pull: PullSettings = PullSettings()
    maintenance: MaintenanceSettings = MaintenanceSettings()
    orchestration: OrchestrationSettings = OrchestrationSettings()

    @field_validator("type_weights")
    @classmethod
    def _every_canonical_type_weighted(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(CANONICAL_TYPES))
        missing = sorted(set(CANONICAL_TYPES) - set(weights))
        if unknown or missing:
            raise ValueError(f"type_weights: unknown types {unknown}, missing types {missing}")
        if any(w < 0 for w in weights.values()):
            raise ValueError("type_weights must not be negative")
        return weights

    @field_validator("score_weights")
    @classmethod
    def _known_scored_metrics(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(SCORED_METRICS))
        if unknown:
            raise ValueError(f"score_weights: unknown metrics {unknown} (known: {list(SCORED_METRICS)})")
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("score_weights must not be negative and must not all be 0")
        return weights


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, raw in environ.items():
        # The pseudonymisation key is read where it is used, never kept in the settings.
        if not name.startswith(ENV_PREFIX) or name in (ENV_PREFIX + "CONFIG", ENV_PREFIX + "PSEUDONYMIZE_KEY"):
            continue
        path = name[len(ENV_PREFIX):].lower().split("__")
        node = layer
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = yaml.safe_load(raw) if raw.strip() else raw
    if "INFLUENCE_JARS_CACHE" in environ:
        layer.pop("jars_cache", None)
        layer.setdefault("spark", {})["jars_cache"] = environ["INFLUENCE_JARS_CACHE"]
    if "SPARK_MASTER" in environ:
        layer.setdefault("spark", {}).setdefault("master", environ["SPARK_MASTER"])
    return layer


def load_config(
    path: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, a YAML file, the environment and overrides.

    ``path`` defaults to ``$INFLUENCE_CONFIG`` when set. ``overrides`` are nested dicts
    (what the command line passes, such as ``{"spark": {"master": ...}}``).
    """
    environ = os.environ if environ is None else environ
    path = path or environ.get(ENV_PREFIX + "CONFIG")
    merged: dict[str, Any] = {}
    if path:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"config file not found: {file}")
        try:
            doc = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {file} is not valid YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"config file {file} must hold a mapping at the top level")
        merged = _deep_merge(merged, doc)
    merged = _deep_merge(merged, _from_environment(environ))
    merged = _deep_merge(merged, overrides or {})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
