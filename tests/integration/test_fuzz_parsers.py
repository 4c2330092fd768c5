"""Hostile input: random and mutated export lines through framing and every profile's parser.

Each hypothesis example is a whole export file (50 to 200 lines: valid lines from the
generator, the same lines mutated, and random bytes or text), framed by ``frame_export``
and parsed by ``check_lines`` and ``split_checked`` exactly as ``influence ingest`` does,
in one Spark job. Nothing may raise; every line must come out as accepted rows or
quarantined rows (a snap or csv line as exactly one), each quarantined with a known
reason; and the accepted rows must pass the ``bronze/interactions`` contract, whose audit
would otherwise fail the whole file. Examples are derandomized: CI runs the same cases.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import date, datetime, timezone

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from influence import generate, tables
from influence.io import exports
from influence.profiles import load_profile
from influence.transforms.interactions import check_lines, split_checked

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
# Small enough that some mutated lines go over it and are quarantined by framing.
LIMITS = exports.Limits(max_line_bytes=512, max_decompressed_bytes=1 << 20)
EXAMPLES = 30  # per profile, each 50-200 lines
KEEP_NULLS = {"ignoreNullFields": "false"}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every reason a line can be quarantined for (framing's, each format's, the shared checks').
KNOWN_REASONS = [re.compile(p) for p in (
    r"line longer than [\d,]+ bytes \(max_line_bytes\)", r"invalid UTF-8 at byte \d+",
    r"blank line", r"comment line", r"expected 3 or 4 whitespace-separated fields, got \d+",
    r"the header lacks the columns \[.*\]", r"malformed CSV: not \d+ fields separated by ','",
    r"malformed JSON", r"not a JSON object",
    r"the post engages no one \(no reply, reshare, quote, comment or mention\)",
    r"missing actor", r"missing target", r"missing time", r"unparseable time '.*'", r"time before 2000-01-01",
    r"time more than 1 day\(s\) in the future", r"unknown interaction type '.*'", r"actor equals target",
    r"repeats the event of line \d+",
)]

# Field values that have broken parsers: huge and odd numbers, separators, quotes, controls, unicode.
HOSTILE = [
    "", " ", "9" * 40, "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999",
    "-1", "0", "1e308", "-1e400", "NaN", "Infinity", "null", "true", "\x00", "\u202e", "ü", "😀", "\ufeff", "\r",
    "\t", '"', "'", ",", "|", "#", "\\", "{}", "[]", "x" * 600, "2026-06-30T12:00:00Z", "1782440339",
    "0001-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", "2026-02-30T25:61:00Z", "RT", "poke", "u1",
]
JSON_PATHS = [("id",), ("created_at",), ("platform",), ("author",), ("author", "id"), ("author", "followers_count"),
              ("hashtags",), ("mentions",), ("mentions", 0), ("mentions", 0, "id"), ("in_reply_to",),
              ("in_reply_to", "author", "id"), ("reshare_of", "author", "id"), ("quote_of", "author"),
              ("followed", "id"), ("message_to", "id"), ("liked", "author", "id")]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats()
    | st.sampled_from(HOSTILE) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "author", "x", ""]), inner,
                                                                  max_size=3),
    max_leaves=8)


@pytest.fixture(scope="module")
def valid_lines(tmp_path_factory) -> dict[str, list[bytes]]:
    """Lines of a small generated export in each format (a csv's header first)."""
    out = tmp_path_factory.mktemp("generated")
    return {fmt: generate.write_export(out / fmt, users=80, days=10, end=date(2026, 6, 30), seed=2, fmt=fmt)
            .read_bytes().splitlines() for fmt in generate.FORMATS}


@pytest.fixture(scope="module")
def tally():
    """Cases run per profile, printed at the end of the module (pytest -s shows it)."""
    counts: dict[str, Counter] = {}
    yield counts
    for profile, c in counts.items():
        print(f"\nfuzz {profile}: {c['examples']} files, {c['lines']} lines, {c['accepted']} rows accepted, "
              f"{c['quarantined']} quarantined")
    total = sum(c["lines"] for c in counts.values())
    print(f"fuzz total: {sum(c['examples'] for c in counts.values())} files, {total} lines")


def _byte_edit(line: bytes, edit: tuple) -> bytes:
    kind, where, payload = edit
    at = int(where * len(line))
    if kind == "truncate":
        return line[:at]
    if kind == "insert":
        return line[:at] + payload
    if kind == "delete":
        return line[:at] + line[at + len(payload):]
    return line[:at] + payload + line[at + len(payload):]  # replace


def _field_edit(line: bytes, edit: tuple, separator: bytes) -> bytes:
    kind, where, other, value = edit
    fields = line.split(separator)
    i, j = int(where * len(fields)), int(other * len(fields))
    if kind == "swap":
        fields[i], fields[j] = fields[j], fields[i]
    elif kind == "drop":
        del fields[i]
    elif kind == "repeat":
        fields.insert(i, fields[j])
    else:  # set
        fields[i] = value.encode("utf-8", errors="surrogatepass")
    return separator.join(fields)


def _json_edit(line: bytes, path: tuple, value) -> bytes:
    """The post with the value at ``path`` replaced (or deleted), containers made on the way."""
    post = json.loads(line)
    if not isinstance(post, dict):
        raise ValueError("not an object")
    node = post
    for step, next_step in zip(path, path[1:]):
        kind = list if isinstance(next_step, int) else dict
        if isinstance(node, list):
            node[:1] = [node[0] if node and isinstance(node[0], kind) else kind()]
            node = node[0]
        else:
            node[step] = node[step] if isinstance(node.get(step), kind) else kind()
            node = node[step]
    if isinstance(node, list):
        node[:1] = [] if value is _DELETE else [value]
    elif value is _DELETE:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return json.dumps(post, allow_nan=True, ensure_ascii=False).encode("utf-8")


_DELETE = object()
byte_edits = st.tuples(st.sampled_from(["truncate", "insert", "delete", "replace"]),
                       st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8))
field_edits = st.tuples(st.sampled_from(["swap", "drop", "repeat", "set", "set", "set"]),
                        st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True),
                        st.sampled_from(HOSTILE) | st.text(max_size=16))
random_lines = st.binary(max_size=120) | st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass"))
hostile_lines = st.sampled_from([b"", b"   ", b"#" + b"x" * 10, b"[" * 3000 + b"]" * 3000, b"\xff\xfe\x00",
                                 b"x" * 2000, b"\r", b"{}", b"null", b"[1,2]", b'"text"', b"\xef\xbb\xbf{}"])


@st.composite
def mutated(draw, line: bytes, fmt: str) -> bytes:
    """The line after one to three edits: of its bytes, its fields (snap, csv) or its JSON (jsonl)."""
    separator = {"snap": b" ", "csv": b","}.get(fmt)
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.sampled_from(["bytes", "json", "swap"] if fmt == "jsonl" else ["bytes", "fields"]))
        try:
            if choice == "bytes":
                line = _byte_edit(line, draw(byte_edits))
            elif choice == "fields":
                line = _field_edit(line, draw(field_edits), separator)
            elif choice == "json":
                line = _json_edit(line, draw(st.sampled_from(JSON_PATHS)), draw(json_values | st.just(_DELETE)))
            else:  # two values trade places: an author where the hashtags were, and so on
                first, second = draw(st.sampled_from(JSON_PATHS)), draw(st.sampled_from(JSON_PATHS))
                post = json.loads(line)
                line = _json_edit(_json_edit(line, first, _value_at(post, second)), second, _value_at(post, first))
        except (ValueError, TypeError, IndexError, KeyError, AttributeError):  # no longer JSON: edit its bytes
            line = _byte_edit(line, draw(byte_edits))
    return line


def _value_at(post, path: tuple):
    for step in path:
        post = post[step] if isinstance(post, dict) and step in post or isinstance(post, list) and post else None
    return post


@st.composite
def export_files(draw, fmt: str, valid: list[bytes]) -> list[bytes]:
    """A run of consecutive generated lines (so mostly distinct events), each kept, mutated or replaced."""
    rows = valid[1:] if fmt == "csv" else valid
    start, size = draw(st.integers(0, len(rows) - 1)), draw(st.integers(50, 200))
    lines = []
    for k in range(size):
        line = rows[(start + k) % len(rows)]
        how = draw(st.sampled_from(["keep", "mutate", "mutate", "random", "hostile"]))
        lines.append(line if how == "keep" else draw(mutated(line, fmt)) if how == "mutate"
                     else draw(random_lines) if how == "random" else draw(hostile_lines))
    if fmt == "csv":  # mostly the real header; else a mutated or a random one
        lines.insert(0, draw(st.one_of(*[st.just(valid[0])] * 4, mutated(valid[0], fmt), random_lines)))
    return lines


def _framed_lines(content: bytes) -> int:
    return content.count(b"\n") + (0 if not content or content.endswith(b"\n") else 1)


def _contract_violations(rows: list[dict], name: str) -> list[str]:
    """What the table's audit would refuse in these rows: nulls, ranges, allowed values, repeated keys."""
    contract = tables.table(name)
    found = []
    for column in contract.columns:
        values = [r[column.name] for r in rows]
        if not column.nullable and any(v is None for v in values):
            found.append(f"{column.name} null")
        if column.min is not None and any(v is not None and v < column.min for v in values):
            found.append(f"{column.name} below {column.min}")
        if column.allowed and any(v not in column.allowed for v in values if v is not None):
            found.append(f"{column.name} not in {column.allowed}")
    keys = Counter(tuple(r[k] for k in contract.key) for r in rows)
    found += [f"key {k} {n} times" for k, n in keys.items() if n > 1]
    return found


def check_export(spark, folder, fmt: str, lines: list[bytes], tally: Counter) -> None:
    profile = load_profile(fmt)
    content = b"\n".join(lines) + b"\n"
    n = tally["examples"] + 1
    export, staging = folder / f"export-{n}.{fmt}", folder / f"staging-{n}.parquet"
    export.write_bytes(content)
    framed = exports.frame_export(export, staging, LIMITS)
    assert framed.status == "ok" and framed.lines == _framed_lines(content), framed

    header = exports.csv_header(staging, profile.delimiter) if fmt == "csv" else None
    checked = check_lines(spark.read.parquet(str(staging)), profile, now=NOW, max_future_days=1, header=header)
    accepted, quarantined = split_checked(checked, profile, source_file=str(export), run_id="fuzz", now=NOW)
    # One Spark job for the three views (per-job overhead dominates at this size).
    side = F.lit(None).cast("string")
    rows = checked.select(F.lit("candidate").alias("kind"), "line_no", "item", "reason", side.alias("row")) \
        .unionByName(accepted.select(F.lit("accepted").alias("kind"), F.lit(None).cast("long").alias("line_no"),
                                     F.lit(None).cast("int").alias("item"), side.alias("reason"),
                                     F.to_json(F.struct("*"), KEEP_NULLS).alias("row"))) \
        .unionByName(quarantined.select(F.lit("quarantined").alias("kind"), F.col("source_line").alias("line_no"),
                                        F.col("source_item").alias("item"), "reason",
                                        F.to_json(F.struct("*"), KEEP_NULLS).alias("row"))).collect()
    candidates = [r.asDict() for r in rows if r["kind"] == "candidate"]
    accepted = [json.loads(r["row"]) for r in rows if r["kind"] == "accepted"]
    quarantined = [json.loads(r["row"]) for r in rows if r["kind"] == "quarantined"]

    # Every data line (all but a csv header) yields rows; a snap or csv line exactly one.
    data_lines = set(range(2 if fmt == "csv" else 1, framed.lines + 1))
    per_line = Counter(c["line_no"] for c in candidates)
    assert set(per_line) == data_lines
    if fmt != "jsonl":
        assert set(per_line.values()) <= {1}
    assert len(accepted) + len(quarantined) == len(candidates)
    assert sorted((q["source_line"], q["source_item"]) for q in quarantined) == sorted(
        (c["line_no"], c["item"]) for c in candidates if c["reason"] is not None)
    unknown = {q["reason"] for q in quarantined if not any(p.fullmatch(q["reason"]) for p in KNOWN_REASONS)}
    assert not unknown, unknown
    assert _contract_violations(accepted, tables.INTERACTIONS) == []
    assert _contract_violations(quarantined, tables.QUARANTINE) == []
    tally.update(examples=1, lines=len(data_lines), accepted=len(accepted), quarantined=len(quarantined))


@pytest.mark.parametrize("fmt", ["snap", "csv", "jsonl"])
def test_no_line_escapes_the_quarantine(spark, valid_lines, tally, tmp_path_factory, fmt):
    folder = tmp_path_factory.mktemp(f"fuzz-{fmt}")
    counts = tally.setdefault(fmt, Counter())

    @FUZZ
    @given(lines=export_files(fmt, valid_lines[fmt]))
    def fuzz(lines):
        check_export(spark, folder, fmt, lines, counts)

    fuzz()
    assert counts["examples"] >= EXAMPLES // 2  # hypothesis really ran the cases


@settings(FUZZ, max_examples=300)
@given(content=st.lists(random_lines | hostile_lines, max_size=60).map(b"\n".join)
       | st.binary(max_size=4000), suffix=st.sampled_from([".txt", ".gz", ".zip", ".gzip-of-random"]))
def test_framing_never_raises_on_random_bytes(tmp_path_factory, content, suffix):
    folder = tmp_path_factory.mktemp("framing", numbered=True)
    if suffix == ".gzip-of-random":  # a real gzip of the random bytes: framed like the plain file
        path, plain = folder / "export.gz", True
        path.write_bytes(gzip.compress(content))
    else:  # random bytes named .gz or .zip are damaged archives: partial or refused, with a reason
        path, plain = folder / f"export{suffix}", suffix == ".txt"
        path.write_bytes(content)
    framed = exports.frame_export(path, folder / "staging.parquet", LIMITS)
    staged = pq.read_table(folder / "staging.parquet").to_pylist()
    assert framed.status in ("ok", "partial", "refused")
    assert (framed.status == "ok") == (framed.reason is None)
    assert [r["line_no"] for r in staged] == list(range(1, framed.lines + 1))
    for row in staged:
        assert (row["value"] is None) == (row["problem"] is not None and row["problem"].startswith("line longer"))
    if plain:
        assert framed.status == "ok" and framed.lines == _framed_lines(content)
        for row, raw in zip(staged, content.split(b"\n")):
            if row["problem"] is None:
                assert row["value"] == raw.decode("utf-8").rstrip("\r\n")
