"""History entries for demo rows: what the registry itself writes for each create and status change."""

from __future__ import annotations

import datetime as dt
from typing import Any

_PERSON_SNAPSHOT = ("id_number", "name", "ethnicity", "education", "hukou_type", "marital_status", "phone",
                    "household_code", "household_address", "note", "sex", "category", "status")
_STAY_SNAPSHOT = ("household_code", "household_address", "residence_code", "residence_address", "grid_code",
                  "house_code", "room", "reason", "occupation", "employer")
_STAY_DATES = ("left_home_on", "arrived_on", "expected_return_on")


def entry(at: dt.datetime, entity: str, entity_id: int, person_id: int | None, action: str, changes: dict[str, Any],
          scope: str | None, *, county: str, reason: str | None = None) -> dict[str, Any]:
    return {"at": at, "entity": entity, "entity_id": entity_id, "person_id": person_id, "action": action,
            "user_id": None, "username": "demo", "reason": reason, "changes": changes, "changeset_id": None,
            "scope_code": scope, "county": county}


def history_entries(person: dict[str, Any], stays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A create entry per person and stay, a close entry per closed stay, one per deregister/archive."""
    pid, county = person["id"], person["county"]
    changes = {k: [None, person[k]] for k in _PERSON_SNAPSHOT if person[k] is not None}
    changes["birth_date"] = [None, person["birth_date"].isoformat()]
    rows = [entry(person["created_at"], "person", pid, pid, "create", changes, person["household_code"], county=county)]
    for s in stays:
        changes = {k: [None, s[k]] for k in _STAY_SNAPSHOT if s[k] is not None}
        for k in _STAY_DATES:
            if s[k] is not None:
                changes[k] = [None, s[k].isoformat()]
        rows.append(entry(s["created_at"], "stay", s["id"], pid, "create", changes, s["residence_code"],
                          county=county))
        if s["status"] == "closed":
            rows.append(entry(s["updated_at"], "stay", s["id"], pid, "close",
                              {"status": ["open", "closed"], "returned_on": [None, s["returned_on"].isoformat()]},
                              s["residence_code"], county=county, reason=s["end_reason"]))
    status = person["status"]
    if status != "active":
        s = stays[-1]
        action = "deregister" if status == "deregistered" else "archive"
        returned = s["returned_on"].isoformat() if s["returned_on"] else None
        changes = {"status": ["active", status], **({"date": [None, returned]} if returned else {})}
        rows.append(entry(s["updated_at"], "person", pid, pid, action, changes, person["household_code"],
                          county=county, reason=s["end_reason"]))
        changes = {"status": ["open", status], "end_reason": [None, s["end_reason"]],
                   **({"returned_on": [None, returned]} if returned else {})}
        rows.append(entry(s["updated_at"], "stay", s["id"], pid, action, changes, s["residence_code"],
                          county=county, reason=s["end_reason"]))
    return rows
