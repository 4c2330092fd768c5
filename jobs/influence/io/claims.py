"""Claims on work in a lake folder, so that a killed or concurrent process cannot
duplicate or strand it.

Two kinds, both resting on ``flock`` (held by the kernel, released when the process
dies, even by SIGKILL), so they hold for processes on one machine and a local lake:

- ``content_claim``: one process at a time ingests a given export content (sha256). A
  second one waits, then finds it in the manifest. The claim leaves an intent marker
  with its run id until the manifest row is written; a marker found on entry means an
  earlier attempt died between its writes, and names its run so its rows can be
  recognised instead of counted as duplicates.
- ``staging_area``: a run's scratch folder under ``_staging``. Folders whose owner is
  gone (its lock can be taken) are deleted on entry, so a killed ingest leaves no raw
  lines behind for long.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

CLAIMS_FOLDER = "_claims"
STAGING_FOLDER = "_staging"


@dataclass(frozen=True)
class Attempt:
    """An attempt at ingesting one content: its run, the path it read, when it began."""

    run_id: str
    path: str
    started: str


class ContentClaim:
    def __init__(self, marker: Path, interrupted: tuple[Attempt, ...]):
        self.marker = marker
        # Earlier attempts that died between their first write and their manifest row.
        self.interrupted = interrupted

    def begin(self, run_id: str, path: Path) -> None:
        """Record the intent to write, before the first write (keeping the dead attempts')."""
        attempt = Attempt(run_id, str(path), datetime.now(timezone.utc).isoformat())
        partial = self.marker.with_suffix(".tmp")
        partial.write_text(json.dumps([vars(a) for a in (*self.interrupted, attempt)]))
        partial.replace(self.marker)  # atomic: a reader sees the whole record or none

    def done(self) -> None:
        """The manifest row is written: nothing of this attempt is left to recover."""
        self.marker.unlink(missing_ok=True)


@contextmanager
def _locked(lock_path: Path, blocking: bool = True) -> Iterator[bool]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def content_claim(lake_root: Path, sha256: str) -> Iterator[ContentClaim]:
    """Hold the claim on one export content for the length of the block."""
    folder = Path(lake_root) / CLAIMS_FOLDER
    with _locked(folder / f"{sha256}.lock"):
        marker = folder / f"{sha256}.intent"
        interrupted: tuple[Attempt, ...] = ()
        if marker.exists():
            try:
                interrupted = tuple(Attempt(**record) for record in json.loads(marker.read_text()))
            except (ValueError, TypeError):
                log.warning("unreadable intent marker %s ignored", marker)
            for attempt in interrupted:
                log.warning("an earlier ingest (%s, started %s) of %s was interrupted; its rows are recognised, "
                            "not counted as duplicates", attempt.run_id, attempt.started, attempt.path)
        yield ContentClaim(marker, interrupted)


@contextmanager
def staging_area(lake_root: Path, run_id: str) -> Iterator[Path]:
    """A scratch folder for this run, deleted at the end; stale ones of dead runs first."""
    root = Path(lake_root) / STAGING_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{run_id}.lock"):
        remove_abandoned_staging(lake_root, keep=run_id)
        folder = root / run_id
        folder.mkdir(exist_ok=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    (root / f"{run_id}.lock").unlink(missing_ok=True)


def remove_abandoned_staging(lake_root: Path, keep: str | None = None) -> None:
    """Delete the staging folders whose run is gone (killed: its lock is free)."""
    root = Path(lake_root) / STAGING_FOLDER
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name == keep:
            continue
        with _locked(root / f"{folder.name}.lock", blocking=False) as ours:
            if ours:  # its owner is gone: the kernel released the lock when it died
                log.warning("removing %s, left behind by an ingest that was killed", folder)
                shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            (root / f"{folder.name}.lock").unlink(missing_ok=True)
