"""Beijing time (Asia/Shanghai), the time the offices keep.

Timestamps are stored as naive UTC (store.tables.utcnow); every period bound and every "which day was it"
is Beijing time: the monthly cut-off is the 12th at 03:00 Beijing time, which is the 11th at 19:00 UTC.
Asia/Shanghai has kept UTC+8 without summer time since 1991, so SQL turns a stored timestamp into its
Beijing day by adding OFFSET (rates, the 7-day deregistration rule)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
OFFSET = dt.timedelta(hours=8)


def to_utc(local: dt.datetime) -> dt.datetime:
    """A naive Beijing wall time as the naive UTC timestamp the store compares with."""
    return local.replace(tzinfo=TZ).astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc: dt.datetime) -> dt.datetime:
    """A naive UTC timestamp from the store as naive Beijing wall time."""
    return utc.replace(tzinfo=dt.UTC).astimezone(TZ).replace(tzinfo=None)


def day_of(utc: dt.datetime) -> dt.date:
    """The Beijing day a stored (naive UTC) timestamp fell on."""
    return to_local(utc).date()
