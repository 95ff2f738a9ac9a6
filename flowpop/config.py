"""Where the SDK connects: explicit arguments, then FLOWPOP_* variables, then a profile file,
then the embedded default (a registry file in the user's data directory)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir


def config_path() -> Path:
    return Path(os.environ.get("FLOWPOP_CONFIG") or Path(user_config_dir("flowpop")) / "config.toml")


def default_db() -> Path:
    return Path(user_data_dir("flowpop")) / "registry.db"


@dataclass(frozen=True)
class Settings:
    url: str | None = None  # a server; None means embedded
    token: str | None = None
    db: str | None = None  # embedded registry: a file path or a database URL
    timeout: float = 30.0
    max_retries: int = 2

    @property
    def embedded(self) -> bool:
        return not self.url


def load_profile(name: str | None) -> dict[str, object]:
    path = config_path()
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    profiles = data.get("profiles", {})
    wanted = name or os.environ.get("FLOWPOP_PROFILE") or data.get("default_profile")
    if wanted is None:
        return {}
    if wanted not in profiles:
        raise KeyError(f"no profile named {wanted!r} in {path}")
    return dict(profiles[wanted])


def resolve(
    *,
    url: str | None = None,
    token: str | None = None,
    db: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> Settings:
    prof = load_profile(profile)
    env = os.environ
    db_value = db if db is not None else env.get("FLOWPOP_DB") or prof.get("db")
    # an explicit local registry wins over a configured server
    url_value = None if db is not None else (url or env.get("FLOWPOP_URL") or prof.get("url"))
    return Settings(
        url=str(url_value).rstrip("/") if url_value else None,
        token=token or env.get("FLOWPOP_TOKEN") or prof.get("token"),  # type: ignore[arg-type]  # a profile's token is TOML text
        db=str(db_value) if db_value else str(default_db()),
        timeout=timeout if timeout is not None else float(prof.get("timeout", 30.0)),  # type: ignore[arg-type]  # a TOML number; float() refuses anything else
        max_retries=max_retries if max_retries is not None else int(prof.get("max_retries", 2)),  # type: ignore[call-overload]  # a TOML number; int() refuses anything else
    )
