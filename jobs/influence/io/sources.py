"""Pull new export files from the configured sources into the landing zone.

A source is a local or mounted folder, an HTTP(S) endpoint or an S3-compatible bucket
(``pull.sources`` in the config). Each file lands as ``<landing>/<source>/<name>``: it
is downloaded to a hidden ``.<name>.part`` beside it (which ingestion never reads), its
size checked against what the source announced, and only then renamed into place, so a
transfer that breaks midway leaves nothing half-written for ingestion to pick up. A
failed transfer is retried with exponential backoff. A file already in the landing zone
is not pulled again (exports are immutable once published); ingestion in turn ingests each
file content once.
"""

from __future__ import annotations

import base64
import fnmatch
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from influence.config import PullSettings, SourceSettings
from influence.errors import InfluenceError

log = logging.getLogger(__name__)
CHUNK = 1 << 20


class Truncated(IOError):
    """A transfer ended before the announced size."""


class PermanentError(Exception):
    """A failure that retrying will not cure (a 4xx answer, a missing object)."""


@dataclass(frozen=True)
class Remote:
    """One file a source offers: its name under the source's landing folder, and how to read it."""

    name: str
    size: int | None
    open: Callable[[], Iterator[bytes]]


@dataclass(frozen=True)
class Pulled:
    source: str
    name: str
    path: str
    status: str  # pulled | already there
    size_bytes: int
    attempts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PullReport:
    files: list[Pulled]
    failures: list[str]

    @property
    def pulled(self) -> list[Pulled]:
        return [f for f in self.files if f.status == "pulled"]


def pull(settings: PullSettings, landing: Path | None = None) -> PullReport:
    """Pull every new file of every source; land what was good, report what failed."""
    landing = Path(landing or settings.landing).expanduser()
    files: list[Pulled] = []
    failures: list[str] = []
    for source in settings.sources:
        target = landing / source.name
        try:
            remotes = _with_retries(f"list source {source.name}", settings, lambda: _remotes(source, settings))[0]
        except InfluenceError as exc:
            failures.append(str(exc))
            continue
        for remote in remotes:
            try:
                files.append(_land(source.name, remote, target, settings))
            except InfluenceError as exc:
                failures.append(str(exc))
    return PullReport(files, failures)


def _land(source: str, remote: Remote, folder: Path, settings: PullSettings) -> Pulled:
    destination = folder / remote.name
    if not destination.resolve().is_relative_to(folder.resolve()):
        raise InfluenceError(f"source {source}: refused {remote.name!r}, it would land outside {folder}")
    if destination.exists():
        return Pulled(source, remote.name, str(destination), "already there", destination.stat().st_size)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.part")

    def transfer() -> int:
        try:
            written = 0
            with partial.open("wb") as sink:
                for block in remote.open():
                    sink.write(block)
                    written += len(block)
                sink.flush()
                os.fsync(sink.fileno())
            if remote.size is not None and written != remote.size:
                raise Truncated(f"got {written:,} of {remote.size:,} bytes")
            os.replace(partial, destination)
            return written
        finally:
            partial.unlink(missing_ok=True)

    size, attempts = _with_retries(f"pull {remote.name} from source {source}", settings, transfer)
    log.info("pulled %s from %s (%d bytes, attempt %d)", remote.name, source, size, attempts)
    return Pulled(source, remote.name, str(destination), "pulled", size, attempts)


def _with_retries(what: str, settings: PullSettings, action: Callable[[], Any]) -> tuple[Any, int]:
    for attempt in range(1, settings.attempts + 1):
        try:
            return action(), attempt
        except PermanentError as exc:
            raise InfluenceError(f"{what} failed: {exc}") from exc
        except (OSError, HTTPException, *_boto_errors()) as exc:
            if attempt == settings.attempts:
                raise InfluenceError(f"{what} failed after {attempt} attempts: {type(exc).__name__}: {exc}") from exc
            pause = settings.backoff_seconds * 2 ** (attempt - 1)
            log.warning("%s failed (attempt %d of %d: %s); retrying in %.1f s",
                        what, attempt, settings.attempts, exc, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def _boto_errors() -> tuple[type[Exception], ...]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return ()
    return (BotoCoreError, ClientError)


def _remotes(source: SourceSettings, settings: PullSettings) -> list[Remote]:
    listing = {"folder": _folder, "http": _http, "s3": _s3}[source.kind](source, settings)
    # A hidden name would land where ingestion never looks.
    return sorted((r for r in listing if fnmatch.fnmatchcase(PurePosixPath(r.name).name, source.pattern)
                   and not any(part.startswith(".") for part in PurePosixPath(r.name).parts)),
                  key=lambda r: r.name)


def _connection(conn_id: str):
    """An Airflow connection (a task's, or AIRFLOW_CONN_* in the environment of the CLI)."""
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow raises its own NotFound, or fails to configure itself
        raise InfluenceError(f"Airflow connection {conn_id!r} is not available: {exc}") from None


# -- folder -----------------------------------------------------------------------------

def _folder(source: SourceSettings, settings: PullSettings) -> list[Remote]:
    root = source.path.expanduser()
    if not root.is_dir():
        raise PermanentError(f"folder {root} not found")

    def reader(path: Path) -> Callable[[], Iterator[bytes]]:
        def read() -> Iterator[bytes]:
            with path.open("rb") as stream:
                yield from iter(lambda: stream.read(CHUNK), b"")
        return read

    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        # Links could point out of the folder.
        if path.is_symlink() or not path.is_file():
            continue
        found.append(Remote(relative.as_posix(), path.stat().st_size, reader(path)))
    return found


# -- HTTP(S) ----------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def _http_headers(source: SourceSettings) -> dict[str, str]:
    if not source.conn_id:
        return {}
    conn = _connection(source.conn_id)
    headers = {str(k): str(v) for k, v in (conn.extra_dejson.get("headers") or {}).items()}
    if conn.login:
        token = base64.b64encode(f"{conn.login}:{conn.password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def _get(url: str, headers: dict[str, str], timeout: float):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code < 500 and exc.code not in (408, 429):
            raise PermanentError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        raise


def _http(source: SourceSettings, settings: PullSettings) -> list[Remote]:
    headers = _http_headers(source)
    timeout = settings.timeout_seconds

    def reader(url: str) -> Callable[[], Iterator[bytes]]:
        def read() -> Iterator[bytes]:
            with _get(url, headers, timeout) as response:
                announced = response.headers.get("Content-Length")
                received = 0
                # http.client raises IncompleteRead on a short body it knows the length of.
                for block in iter(lambda: response.read(CHUNK), b""):
                    received += len(block)
                    yield block
                if announced is not None and received != int(announced):
                    raise Truncated(f"{url}: got {received:,} of {int(announced):,} bytes")
        return read

    if not source.url.endswith("/"):
        name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(source.url).path)).name
        return [Remote(name, None, reader(source.url))]
    with _get(source.url, headers, timeout) as response:
        page = response.read().decode(response.headers.get_content_charset() or "utf-8", errors="replace")
    links = _Links()
    links.feed(page)
    found = {}
    for href in links.hrefs:
        parts = urllib.parse.urlsplit(href)
        name = urllib.parse.unquote(parts.path)
        # Files directly in the folder: no other hosts, parents, subfolders, queries or hidden names.
        if parts.scheme or parts.netloc or parts.query or not name or "/" in name or name.startswith("."):
            continue
        found[name] = Remote(name, None, reader(urllib.parse.urljoin(source.url, href)))
    return list(found.values())


# -- S3-compatible ----------------------------------------------------------------------

def _s3_client(source: SourceSettings, settings: PullSettings):
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {"endpoint_url": source.endpoint_url}
    if source.conn_id:
        conn = _connection(source.conn_id)
        extra = conn.extra_dejson
        options.update(aws_access_key_id=conn.login or None, aws_secret_access_key=conn.password or None,
                       region_name=extra.get("region_name"),
                       endpoint_url=extra.get("endpoint_url") or source.endpoint_url)
    config = Config(connect_timeout=settings.timeout_seconds, read_timeout=settings.timeout_seconds,
                    retries={"max_attempts": 1})  # our own retries cover the whole file
    return boto3.client("s3", config=config, **options)


def _s3(source: SourceSettings, settings: PullSettings) -> list[Remote]:
    from botocore.exceptions import ClientError

    client = _s3_client(source, settings)

    def reader(key: str) -> Callable[[], Iterator[bytes]]:
        def read() -> Iterator[bytes]:
            try:
                body = client.get_object(Bucket=source.bucket, Key=key)["Body"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "AccessDenied", "NoSuchBucket"):
                    raise PermanentError(f"s3://{source.bucket}/{key}: {exc}") from None
                raise
            with body:
                yield from body.iter_chunks(CHUNK)
        return read

    found = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                name = key[len(source.prefix):].lstrip("/")
                if name and not key.endswith("/"):
                    found.append(Remote(name, int(item["Size"]), reader(key)))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId"):
            raise PermanentError(f"s3://{source.bucket}/{source.prefix}: {exc}") from None
        raise
    return found

