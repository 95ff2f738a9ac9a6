"""The registry's settings file (FLOWPOP_SETTINGS) is checked at start: an unknown key, a value of the
wrong type or a negative number is a ConfigError naming the key and the file; a good file overrides."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import flowpop
from flowpop.config import ConfigError
from flowpop.registry.kernel import settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "[deadlines]\nnotification_send = 3\n[targets]\nregistration = 0.8\n"
                           "[exchange]\nhome = ['3504']\n[calendar.2031]\nholidays = [2031-01-02]\n")
    loaded = settings.load(str(path))
    assert loaded.deadline("notification_send") == 3 and loaded.deadline("notification_receive") == 15
    assert loaded.targets["registration"] == 0.8 and loaded.home == ("3504",)
    assert not loaded.calendar.is_workday(dt.date(2031, 1, 2))


@pytest.mark.parametrize(("text", "named"), [
    ('[targets]\nregistration = "90%"\n', "targets.registration"),
    ("[deadlines]\nnotification_sned = 3\n", "deadlines.notification_sned"),
    ("[deadlins]\nnotification_send = 3\n", "deadlins"),
    ("[deadlines]\nnotification_send = -1\n", "deadlines.notification_send"),
    ("[exchange]\nhome = '3504'\n", "exchange.home"),
    ("[calendar.next]\nholidays = []\n", "next"),
    ("[targets\nregistration = 0.9\n", "TOML"),
])
def test_a_bad_file_is_an_error_naming_the_key_and_the_file(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        settings.load(str(path))
    assert named in caught.value.localized("en") and str(path) in caught.value.localized("en")
    assert named in caught.value.localized("zh") and str(path) in caught.value.localized("zh")


def test_the_sdk_refuses_a_registry_with_a_bad_settings_file(tmp_path: Path, db_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(write(tmp_path, '[targets]\nregistration = "90%"\n')))
    with pytest.raises(ConfigError), flowpop.Client(db=db_url, max_retries=0) as client:
        client.me()


def test_serve_refuses_to_start_on_a_bad_settings_file(tmp_path: Path, db_url: str) -> None:
    path = write(tmp_path, "[deadlines]\nnotification_sned = 3\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FLOWPOP_SETTINGS": str(path), "FLOWPOP_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", "from flowpop_cli.main import main; main()",
                           "--db", db_url, "serve", "--port", "0"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1, done.stderr
    assert "deadlines.notification_sned" in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr
