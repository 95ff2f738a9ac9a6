"""The registry's 'today' is the Beijing day whatever the server's time zone (issue 14 item 4: dates as the
offices keep them). A server kept in UTC said 'yesterday' from 00:00 to 08:00 Beijing time, so a deregistration
dated the Beijing day was refused as in the future and deadlines counted from the wrong day."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHOW = (
    "from flowpop.registry.kernel.registry import today; import datetime as dt; from flowpop.rules import beijing; "
    "print(today().isoformat(), dt.datetime.now(beijing.TZ).date().isoformat())"
)


def _today_in(tz: str) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FLOWPOP_TODAY"} | {"TZ": tz}
    out = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    registry_day, beijing_day = out.stdout.split()
    return registry_day, beijing_day


@pytest.mark.skipif(sys.platform == "win32", reason="TZ is read from the environment on POSIX")
def test_today_is_the_beijing_day_in_any_server_time_zone() -> None:
    # UTC-12 and UTC+14 are 26 hours apart: their local dates always differ, so at most one is Beijing's
    west, west_beijing = _today_in("Etc/GMT+12")
    east, east_beijing = _today_in("Etc/GMT-14")
    assert west == west_beijing
    assert east == east_beijing
