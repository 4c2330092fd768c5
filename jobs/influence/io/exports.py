"""Export files on disk: discovery, identity (sha256), and safe framing into numbered lines.

Framing runs on the driver in Python, streaming: it opens plain, ``.gz`` and ``.zip``
exports, refuses what is unsafe (symlinks, zip members that escape their folder,
archives that decompress beyond a limit), numbers every line, and marks the lines that
no parser should see (over-long, invalid UTF-8) with the reason they will be quarantined
for. The lines go to a staging Parquet file that Spark then reads and parses.
"""

from __future__ import annotations

import gzip
import hashlib
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from influence.errors import InfluenceError

LINES_SCHEMA = pa.schema([("line_no", pa.int64(), False), ("value", pa.string()), ("problem", pa.string())])
_BATCH_LINES = 100_000


@dataclass(frozen=True)
class Limits:
    """What a single export may hold before it is refused or its lines quarantined."""

    max_line_bytes: int = 1_000_000
    max_decompressed_bytes: int = 8 * 2**30


@dataclass
class Framed:
    """What framing one export produced: where its lines are staged, and how it went.

    ``status`` is ``ok``, ``partial`` (some of the file could not be read; what could was
    kept) or ``refused`` (nothing of it may be ingested); ``reason`` says why.
    """

    lines: int = 0
    status: str = "ok"
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None


def discover(paths: list[Path]) -> list[Path]:
    """The files named, and every file below the folders named, in a stable order.

    Symbolic links are returned as they are (not resolved), so that framing can refuse
    them with a reason instead of following them out of the landing zone.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_symlink():
            files.append(path.absolute())
        elif path.is_dir():
            files.extend(sorted(p.absolute() for p in path.rglob("*")
                                if (p.is_symlink() or p.is_file()) and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path.absolute())
        else:
            raise InfluenceError(f"input not found: {path}")
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_export(path: Path, staging: Path, limits: Limits) -> Framed:
    """Write every line of the export at ``path`` to the Parquet file ``staging``.

    Lines are numbered from 1 across the whole export (across zip members in name
    order). A line longer than ``limits.max_line_bytes`` or not valid UTF-8 is staged
    with a ``problem`` and no parser sees it. A truncated or corrupt ``.gz`` keeps the
    lines before the damage and makes the file ``partial``; a symlink, an unsafe zip
    member or an archive beyond ``limits.max_decompressed_bytes`` makes it ``refused``
    and stages nothing.
    """
    framed = Framed()
    if path.is_symlink():
        framed.status, framed.reasons = "refused", ["a symbolic link: only regular files are ingested"]
        _write(staging, [], [], [])
        return framed
    name = path.name.lower()
    with pq.ParquetWriter(staging, LINES_SCHEMA) as writer:
        if name.endswith(".zip"):
            _frame_zip(path, writer, limits, framed)
        elif name.endswith(".gz"):
            _frame_stream(lambda: gzip.open(path, "rb"), writer, limits, framed, path.name)
        else:
            _frame_stream(lambda: path.open("rb"), writer, limits, framed, path.name)
    if framed.status == "refused":
        _write(staging, [], [], [])
        framed.lines = 0
    return framed


def csv_header(staging: Path, delimiter: str) -> list[str]:
    """The column names on the first staged line of a csv export (empty when there is none).

    A bare carriage return inside the line is whitespace in a name: Python's csv module
    refuses it outside quotes, and a name's surrounding whitespace is dropped anyway.
    """
    import csv

    staged = pq.ParquetFile(staging)
    first = staged.read_row_group(0).slice(0, 1).to_pylist() if staged.num_row_groups else []
    if not first or first[0]["value"] is None or first[0]["line_no"] != 1:
        return []
    line = first[0]["value"].replace("\r", " ")
    return [name.strip() for name in next(csv.reader([line], delimiter=delimiter))]


def _frame_zip(path: Path, writer: pq.ParquetWriter, limits: Limits, framed: Framed) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        framed.status, framed.reasons = "refused", [f"not a readable zip archive: {exc}"]
        return
    with archive:
        members = sorted((m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename)
        unsafe = [f"zip member {m.filename!r} {why}" for m in members if (why := _unsafe_member(m))]
        declared = sum(m.file_size for m in members)
        if declared > limits.max_decompressed_bytes:
            unsafe.append(f"zip declares {declared:,} bytes decompressed, above the limit of "
                          f"{limits.max_decompressed_bytes:,} (max_decompressed_bytes)")
        if unsafe:
            framed.status, framed.reasons = "refused", unsafe
            return
        for member in members:
            _frame_stream(lambda: archive.open(member), writer, limits, framed, member.filename)
            if framed.status == "refused":
                return


def _unsafe_member(member: zipfile.ZipInfo) -> str | None:
    name = member.filename
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "escapes its folder with '..'"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    return None


def _frame_stream(opener: Callable[[], BinaryIO], writer: pq.ParquetWriter, limits: Limits, framed: Framed,
                  label: str) -> None:
    numbers: list[int] = []
    values: list[str | None] = []
    problems: list[str | None] = []
    consumed = 0
    line_no = framed.lines
    try:
        with opener() as stream:
            while True:
                raw = stream.readline(limits.max_line_bytes + 1)
                if not raw:
                    break
                consumed += len(raw)
                line_no += 1
                problem = None
                if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                    # skip the rest of the over-long line without holding it in memory
                    while raw and not raw.endswith(b"\n") and consumed <= limits.max_decompressed_bytes:
                        raw = stream.readline(1 << 20)
                        consumed += len(raw)
                    problem, text = f"line longer than {limits.max_line_bytes:,} bytes (max_line_bytes)", None
                else:
                    try:
                        text = raw.decode("utf-8").rstrip("\r\n")
                    except UnicodeDecodeError as exc:
                        problem = f"invalid UTF-8 at byte {exc.start + 1}"
                        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if consumed > limits.max_decompressed_bytes:
                    framed.status = "refused"
                    framed.reasons.append(f"{label} decompresses beyond {limits.max_decompressed_bytes:,} bytes "
                                          "(max_decompressed_bytes)")
                    return
                numbers.append(line_no)
                values.append(text)
                problems.append(problem)
                if len(numbers) >= _BATCH_LINES:
                    writer.write_batch(_batch(numbers, values, problems))
                    numbers, values, problems = [], [], []
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        framed.status = "partial"
        framed.reasons.append(f"{label} is truncated or corrupt after line {line_no:,} "
                              f"({type(exc).__name__}: {exc}); the lines before it were kept")
    finally:
        if numbers and framed.status != "refused":
            writer.write_batch(_batch(numbers, values, problems))
        framed.lines = line_no


def _batch(numbers: list[int], values: list[str | None], problems: list[str | None]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(numbers, pa.int64()), pa.array(values, pa.string()),
                            pa.array(problems, pa.string())], schema=LINES_SCHEMA)


def _write(staging: Path, numbers: list[int], values: list, problems: list) -> None:
    pq.write_table(pa.Table.from_batches([_batch(numbers, values, problems)]), staging)
