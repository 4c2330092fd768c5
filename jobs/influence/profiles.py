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

SUPPORTED_FORMATS = ("snap",)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str
    format: str
    platform: str
    id_prefix: str = ""
    default_type: str = "message"
    type_map: dict[str, str] = {}
    extensions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known_types_and_format(self) -> "Profile":
        if self.format not in SUPPORTED_FORMATS:
            raise ValueError(f"format {self.format!r} is not supported (supported: {', '.join(SUPPORTED_FORMATS)})")
        bad = sorted({self.default_type, *self.type_map.values()} - set(CANONICAL_TYPES))
        if bad:
            raise ValueError(f"maps onto unknown interaction types {bad} (canonical: {', '.join(CANONICAL_TYPES)})")
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
