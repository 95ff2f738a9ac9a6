"""Where the SDK connects: explicit arguments, then FLOWPOP_* variables, then a profile file,
then the embedded default (a registry file in the user's data directory).

The profile file (FLOWPOP_CONFIG, else config.toml in the user's config directory) is checked
against ConfigFile: an unknown key, a value of the wrong type, a profile that is not there, or a
file named by FLOWPOP_CONFIG that does not exist is a ConfigError naming the key or profile and
the file, never a silent fallback to an empty local registry."""

from __future__ import annotations

import importlib.util
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from flowpop.errors import FlowpopError


class ConfigError(FlowpopError):
    """A configuration or settings file the registry or the SDK cannot use as written."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message, self.message_en = message, message_en

    def localized(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message


class UnknownProfile(ConfigError, KeyError):
    """A profile the config file does not have (a KeyError, as it was before the file was checked)."""

    def __str__(self) -> str:
        return self.message_en


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str | None = None
    token: str | None = None
    db: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0)


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)


# modules that only some uses need, and the extra (pip install "flowpop[EXTRA]") that installs each
EXTRAS = {"uvicorn": "server", "psycopg": "postgresql", "faker": "demo"}


def need(module: str) -> None:
    """A ConfigError saying which extra to install when ``module`` is not installed (nothing is imported)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ValueError:  # sys.modules holds None for it: its import is blocked
        found = False
    if not found:
        extra = EXTRAS[module]
        raise ConfigError(f"未安装 {module}：请执行 pip install \"flowpop[{extra}]\"",
                          f"{module} is not installed: pip install \"flowpop[{extra}]\"")


def explicit_config() -> bool:
    """Whether the config file was named (FLOWPOP_CONFIG) rather than taken from the default place."""
    return bool(os.environ.get("FLOWPOP_CONFIG"))


def config_path() -> Path:
    return Path(os.environ.get("FLOWPOP_CONFIG") or Path(user_config_dir("flowpop")) / "config.toml")


def default_db() -> Path:
    return Path(user_data_dir("flowpop")) / "registry.db"


def invalid_file(path: Path, exc: PydanticValidationError | tomllib.TOMLDecodeError) -> ConfigError:
    """A ConfigError naming each offending key (dotted) and the file."""
    if isinstance(exc, tomllib.TOMLDecodeError):
        return ConfigError(f"配置文件 {path} 不是有效的 TOML：{exc}", f"{path} is not valid TOML: {exc}")
    zh, en = [], []
    for e in exc.errors():
        key = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            zh.append(f"未知的配置项 {key}")
            en.append(f"unknown key {key}")
        else:
            zh.append(f"配置项 {key} 的值 {e.get('input')!r} 无效（{e['msg']}）")
            en.append(f"invalid value {e.get('input')!r} for {key} ({e['msg']})")
    return ConfigError(f"配置文件 {path} 有误：" + "；".join(zh), f"{path}: " + "; ".join(en))


def read_config(path: Path | None = None) -> ConfigFile:
    """The profile file, checked; an absent default file reads as empty, an absent named one is an error."""
    path = path or config_path()
    if not path.exists():
        if explicit_config():
            raise ConfigError(f"找不到配置文件 {path}（由 FLOWPOP_CONFIG 指定）",
                              f"config file {path} (named by FLOWPOP_CONFIG) does not exist")
        return ConfigFile()
    try:
        with path.open("rb") as fh:
            return ConfigFile.model_validate(tomllib.load(fh))
    except (PydanticValidationError, tomllib.TOMLDecodeError) as exc:
        raise invalid_file(path, exc) from None


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


def load_profile(name: str | None) -> dict[str, Any]:
    """The named profile (argument, FLOWPOP_PROFILE, then the file's default_profile) as a dict of the
    keys it sets; {} when none is wanted. A wanted profile the file lacks is a ConfigError."""
    path = config_path()
    data = read_config(path)
    wanted = name or os.environ.get("FLOWPOP_PROFILE") or data.default_profile
    if wanted is None:
        return {}
    if wanted not in data.profiles:
        known = ", ".join(sorted(data.profiles)) or "—"
        where = str(path) if path.exists() else f"{path}（不存在）"
        where_en = str(path) if path.exists() else f"{path} (does not exist)"
        raise UnknownProfile(f"没有名为 {wanted!r} 的配置；查找的配置文件：{where}；已有配置：{known}",
                          f"no profile named {wanted!r}; config file looked at: {where_en}; profiles: {known}")
    return data.profiles[wanted].model_dump(exclude_unset=True)


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
        token=token or env.get("FLOWPOP_TOKEN") or prof.get("token"),
        db=str(db_value) if db_value else str(default_db()),
        timeout=timeout if timeout is not None else float(prof.get("timeout", 30.0)),
        max_retries=max_retries if max_retries is not None else int(prof.get("max_retries", 2)),
    )


def write_profile(name: str, values: dict[str, str | None], path: Path | None = None) -> Path:
    """Sets (or, with None, removes) keys of one profile in the profile file, creating both if needed."""
    path = path or config_path()
    data = read_config(path) if path.exists() else ConfigFile()
    current = data.profiles.get(name, Profile()).model_dump(exclude_unset=True)
    for key, value in values.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    data.profiles[name] = Profile.model_validate(current)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_toml(data), encoding="utf-8")
    path.chmod(0o600)  # it may hold tokens
    return path


def dump_toml(data: ConfigFile) -> str:
    """The profile file as TOML (strings, numbers and one level of tables: all the file holds)."""
    lines: list[str] = []
    if data.default_profile is not None:
        lines.append(f"default_profile = {_toml_value(data.default_profile)}\n")
    for name, prof in data.profiles.items():
        lines.append(f"[profiles.{_toml_key(name)}]")
        for key, value in prof.model_dump(exclude_unset=True).items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else _toml_value(key)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    return repr(value)
