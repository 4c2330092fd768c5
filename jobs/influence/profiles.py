"""Export profiles: YAML files that map one export format onto the canonical schema.

The model is shared by the parsers (transforms) and the readers (io).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from influence.config import CANONICAL_TYPES
from influence.errors import InfluenceError
from influence.tables import schema_root

SUPPORTED_FORMATS = ("snap", "csv", "jsonl")
# Canonical fields a csv or jsonl profile can map, and which of them it must map.
FIELDS = ("event_id", "actor", "target", "type", "time", "content_id", "audience_size", "topics", "platform")
REQUIRED_FIELDS = {"csv": ("actor", "target", "time"), "jsonl": ("actor", "time")}


class Engaged(BaseModel):
    """Where a jsonl post names the account it engages, for one interaction type.

    ``path`` is a JSON path to one id, or to a list (``list: true``) of ids or of objects
    whose ``item`` path holds the id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    list: bool = False
    item: str | None = None


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str
    format: str
    platform: str
    id_prefix: str = ""
    default_type: str = "message"
    type_map: dict[str, str] = {}
    extensions: tuple[str, ...] = ()
    # csv: column names; jsonl: JSON paths ($.author.id), by canonical field.
    fields: dict[str, str] = {}
    # csv
    delimiter: str = ","
    topics_separator: str = "|"
    # "unix" (seconds), "iso8601" (with an offset or Z; none means UTC) or a Spark datetime pattern.
    time_format: str = "unix"
    # jsonl: one post yields one interaction per engaged account, by type.
    engages: dict[str, Engaged] = {}

    @model_validator(mode="after")
    def _consistent(self) -> "Profile":
        if self.format not in SUPPORTED_FORMATS:
            raise ValueError(f"format {self.format!r} is not supported (supported: {', '.join(SUPPORTED_FORMATS)})")
        bad = sorted({self.default_type, *self.type_map.values(), *self.engages} - set(CANONICAL_TYPES))
        if bad:
            raise ValueError(f"maps onto unknown interaction types {bad} (canonical: {', '.join(CANONICAL_TYPES)})")
        unknown = sorted(set(self.fields) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown fields {unknown} (known: {', '.join(FIELDS)})")
        missing = [f for f in REQUIRED_FIELDS.get(self.format, ()) if f not in self.fields]
        if missing:
            raise ValueError(f"a {self.format} profile must map the fields {missing}")
        if self.format == "jsonl" and not self.engages:
            raise ValueError("a jsonl profile needs `engages`: where a post names the accounts it engages")
        if len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        return self


def _profiles_dir() -> Path:
    return schema_root() / "profiles"


def builtin_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted(_profiles_dir().glob("*.yaml"))}


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``snap``) or a user's own profile file by path."""
    path = builtin_profiles().get(name_or_path) or Path(name_or_path)
    if not path.is_file():
        raise InfluenceError(
            f"unknown profile {name_or_path!r}: not a built-in ({', '.join(builtin_profiles())}) nor a file"
        )
    try:
        return Profile.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InfluenceError(f"profile {path} is invalid: {exc}".replace("\n", " ")) from None


def infer_profile(path: Path) -> Profile:
    """The built-in profile whose extensions match the file name (a trailing .gz or .zip is ignored)."""
    name = path.name.lower().removesuffix(".gz").removesuffix(".zip")
    matches = [
        profile
        for profile in map(load_profile, builtin_profiles())
        if any(name.endswith(ext) for ext in profile.extensions)
    ]
    if len(matches) != 1:
        found = "no" if not matches else "more than one"
        raise InfluenceError(f"{found} profile matches the file name {path.name!r}; pass --profile")
    return matches[0]
