"""Numbers that provinces set differently (deadlines, penalties, targets): defaults from
domain.md, overridden by a TOML settings file (FLOWPOP_SETTINGS, or settings.toml beside the
local registry in the user data directory)."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticValidationError

from flowpop.config import ConfigError, invalid_file
from flowpop.rules.workdays import Calendar
from flowpop.types import Reason

DEFAULTS: dict[str, Any] = {
    "deadlines": {
        # working days unless the name says otherwise
        "assist_request_send": 5,
        "assist_request_answer": 15,
        "notification_send": 5,
        "notification_receive": 15,
        "transfer_answer_days": 4,  # calendar days
        "not_found_answer": 15,
        "dispute_answer": 1,
        "landlord_declare": 3,
        "certificate_show_days": 10,  # calendar days after arrival
        "stale_departure_days": 7,
        "checkup_interval_months": 6,  # months: 孕环情检查 检查间隔期为6个月 (seed 001 第十八条)
    },
    "penalties": {"undeclared_tenant_yuan": 200},
    # an employer of this many floating workers signs a responsibility agreement (seed 004: 用工10人以上)
    "employers": {"agreement_workers": 10},
    "targets": {
        "registration": 0.90,
        "rented_house_registration": 0.95,
        "person_address_match": 0.70,
        "collection": 0.95,  # 信息采集率 (seed 000)
        "accuracy": 0.95,  # 信息准确率 (seed 000)
        "rented_house_accuracy": 0.95,  # 出租屋信息准确率 (seed 000)
        "stale_departures_max": 0.10,
        "residence_permit": 0.85,
        "certificate": 0.95,
        "co_management": 1.0,
        # 漏管 as an absolute count, not a share (seed 000: "市内跨县漏管流动人口控制在500人以内")
        "unmanaged_max": 500,
        "requests_answered": 1.0,
        "requests_on_time": 1.0,
        "notifications_received": 1.0,
        "key_requests_on_time": 1.0,  # 协查 within assist_request_send of registering a key target (seed 000)
        "service_notices_on_time": 1.0,  # 通报 within notification_send of a service (seed 000)
        "certificate_on_time": 0.95,  # 婚育证明 shown within certificate_show_days (as 持证率/查验率)
        "checkups": 1.0,  # 孕环情检查 every checkup_interval_months (seed 001 第十八条: 应当参加)
        "certificate_issued": 1.0,  # 办证率 (seed 003: 均达100%)
        "outflow_inquiries": 1.0,  # 流出人口函查率 (seed 003: 均达100%)
    },
    # who counts as floating population (流动人口): 条例 第二条 and seed 001 第二条; docs/rules.md
    "floating": {
        "min_days_away": 30,  # 异地居住30日以上 (seed 001)
        "min_age": 18,  # 成年 (条例; seed 001: 十八周岁以上的育龄人员) — for family-planning indicators
        "max_age": 49,  # 育龄: the seeds give no number; 49 as for key targets (15–49)
        "districts_of_one_city": False,  # 区与区之间 in one 设区的市 counts as floating? 条例: no (人户分离)
        "excluded_reasons": [],  # stay reasons not counted (条例: 上学 … 预期将返回 — a province may list "study")
    },
    # division code prefixes this registry serves; messages for other places go to the outbox
    # replay_window_days: a signed envelope older than this whose messages are not here yet is refused (a replay)
    "exchange": {"home": [], "replay_window_days": 30},
    "calendar": {},
}


_STRICT = ConfigDict(extra="forbid", strict=True)


def _section(name: str, kind: type) -> type[BaseModel]:
    """A model of one section of DEFAULTS: exactly its keys, each of the given type (a TOML number)."""
    fields: dict[str, Any] = {key: (kind, Field(default=value, ge=0)) for key, value in DEFAULTS[name].items()}
    return create_model(name.title(), __config__=_STRICT, **fields)


Deadlines = _section("deadlines", int)
Penalties = _section("penalties", int)
Employers = _section("employers", int)
Targets = _section("targets", float)  # shares: 0.9, not "90%"


class Floating(BaseModel):
    model_config = _STRICT
    min_days_away: int = Field(default=DEFAULTS["floating"]["min_days_away"], ge=0)
    min_age: int = Field(default=DEFAULTS["floating"]["min_age"], ge=0)
    max_age: int = Field(default=DEFAULTS["floating"]["max_age"], ge=0)
    districts_of_one_city: bool = DEFAULTS["floating"]["districts_of_one_city"]
    excluded_reasons: list[Reason] = Field(default_factory=list)


class Exchange(BaseModel):
    model_config = _STRICT
    home: list[str] = Field(default_factory=list)
    replay_window_days: int = Field(default=DEFAULTS["exchange"]["replay_window_days"], ge=1)


class CalendarYear(BaseModel):
    model_config = _STRICT
    holidays: list[dt.date | str] = Field(default_factory=list)
    workdays: list[dt.date | str] = Field(default_factory=list)


class SettingsFile(BaseModel):
    """What a settings file may hold: the sections and keys of DEFAULTS, nothing else."""

    model_config = _STRICT
    deadlines: Deadlines = Field(default_factory=Deadlines)  # type: ignore[valid-type]  # made by create_model
    penalties: Penalties = Field(default_factory=Penalties)  # type: ignore[valid-type]  # made by create_model
    employers: Employers = Field(default_factory=Employers)  # type: ignore[valid-type]  # made by create_model
    targets: Targets = Field(default_factory=Targets)  # type: ignore[valid-type]  # made by create_model
    floating: Floating = Field(default_factory=Floating)
    exchange: Exchange = Field(default_factory=Exchange)
    calendar: dict[str, CalendarYear] = Field(default_factory=dict)


def check(data: dict[str, Any], file: Path) -> None:
    """A ConfigError naming every unknown key and mistyped value in the settings file ``file``."""
    try:
        parsed = SettingsFile.model_validate(data)
    except PydanticValidationError as exc:
        raise invalid_file(file, exc) from None
    bad_years = [year for year in parsed.calendar if not year.isdigit()]
    if bad_years:
        raise ConfigError(f"配置文件 {file} 有误：calendar 下应为年份，而不是 {', '.join(bad_years)}",
                          f"{file}: calendar keys must be years, not {', '.join(bad_years)}")


@dataclass(frozen=True)
class Settings:
    deadlines: dict[str, int]
    penalties: dict[str, int]
    targets: dict[str, float]
    home: tuple[str, ...]
    calendar: Calendar = field(compare=False)
    employers: dict[str, int] = field(default_factory=lambda: dict(DEFAULTS["employers"]))
    floating: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS["floating"]))
    replay_window_days: int = DEFAULTS["exchange"]["replay_window_days"]

    def deadline(self, name: str) -> int:
        return int(self.deadlines[name])


def settings_path() -> Path:
    return Path(os.environ.get("FLOWPOP_SETTINGS") or Path(user_data_dir("flowpop")) / "settings.toml")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def load(path: str | None = None) -> Settings:
    """The settings from ``path`` (default: settings_path(), read when called), checked; each file read once."""
    return _load(str(path or settings_path()))


@lru_cache(maxsize=8)
def _load(path: str) -> Settings:
    file = Path(path)
    data = DEFAULTS
    if file.exists():
        try:
            with file.open("rb") as fh:
                given = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise invalid_file(file, exc) from None
        check(given, file)
        data = _merge(DEFAULTS, given)
    extra = {int(year): spec for year, spec in data.get("calendar", {}).items()}
    return Settings(
        deadlines=dict(data["deadlines"]),
        penalties=dict(data["penalties"]),
        targets=dict(data["targets"]),
        home=tuple(data["exchange"].get("home", [])),
        calendar=Calendar(extra=extra),
        employers=dict(data["employers"]),
        floating=dict(data["floating"]),
        replay_window_days=int(data["exchange"].get("replay_window_days", DEFAULTS["exchange"]["replay_window_days"])),
    )
