"""Numbers that provinces set differently (deadlines, penalties, targets): defaults from
domain.md, overridden by a TOML settings file (FLOWPOP_SETTINGS, or settings.toml beside the
local registry in the user data directory)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from flowpop.rules.workdays import Calendar

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
        "collection_days": 5,  # calendar days: registered within N days of arrival (信息采集及时)
    },
    "penalties": {"undeclared_tenant_yuan": 200},
    "targets": {
        "registration": 0.90,
        "rented_house_registration": 0.95,
        "person_address_match": 0.70,
        "collection_timeliness": 0.95,
        "stale_departures_max": 0.10,
        "residence_permit": 0.85,
        "certificate": 0.95,
        "co_management": 1.0,
        "requests_answered": 1.0,
        "requests_on_time": 1.0,
        "notifications_received": 1.0,
    },
    # division code prefixes this registry serves; messages for other places go to the outbox
    "exchange": {"home": []},
    "calendar": {},
}


@dataclass(frozen=True)
class Settings:
    deadlines: dict[str, int]
    penalties: dict[str, int]
    targets: dict[str, float]
    home: tuple[str, ...]
    calendar: Calendar = field(compare=False)

    def deadline(self, name: str) -> int:
        return int(self.deadlines[name])


def settings_path() -> Path:
    return Path(os.environ.get("FLOWPOP_SETTINGS") or Path(user_data_dir("flowpop")) / "settings.toml")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


@lru_cache(maxsize=8)
def load(path: str | None = None) -> Settings:
    file = Path(path) if path else settings_path()
    data = DEFAULTS
    if file.exists():
        with file.open("rb") as fh:
            data = _merge(DEFAULTS, tomllib.load(fh))
    extra = {int(year): spec for year, spec in data.get("calendar", {}).items()}
    return Settings(
        deadlines=dict(data["deadlines"]),
        penalties=dict(data["penalties"]),
        targets=dict(data["targets"]),
        home=tuple(data["exchange"].get("home", [])),
        calendar=Calendar(extra=extra),
    )
