"""Configuration that fails loudly: unknown profiles, a named config file that is missing, misspelt or
mistyped keys in the config and settings files; and `flowpop config` to list, show and set profiles."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.cli.runner import invoke, jsonout


@pytest.fixture(autouse=True)
def _own_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's config and data directories inside the test's folder; no config file named."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FLOWPOP_CONFIG", raising=False)
    monkeypatch.delenv("FLOWPOP_SETTINGS", raising=False)
    return tmp_path


def test_an_unknown_profile_without_a_config_file_is_an_error_not_an_empty_registry(tmp_path: Path) -> None:
    result = invoke(["--profile", "prod", "persons", "list"], code=2)
    assert "'prod'" in result.stderr
    assert str(tmp_path / "config" / "flowpop" / "config.toml") in result.stderr
    assert not (tmp_path / "data").exists()  # no empty local registry made behind the user's back


def test_an_unknown_profile_names_those_the_file_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.test]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_CONFIG", str(path))
    result = invoke(["--lang", "en", "--profile", "prd", "persons", "list"], code=2)
    assert "no profile named 'prd'" in result.stderr
    assert str(path) in result.stderr and "test" in result.stderr


def test_a_named_config_file_that_is_missing_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         db_url: str) -> None:
    monkeypatch.setenv("FLOWPOP_CONFIG", str(tmp_path / "nope.toml"))
    result = invoke(["--db", db_url, "me"], code=1)
    assert "找不到配置文件" in result.stderr and str(tmp_path / "nope.toml") in result.stderr


@pytest.mark.parametrize(("text", "named"), [
    ('[profiles.prod]\nurl = "http://x"\ntokn = "abc"\n', "profiles.prod.tokn"),
    ('[profiles.prod]\ntimeout = "30s"\n', "profiles.prod.timeout"),
    ('default_profil = "prod"\n', "default_profil"),
])
def test_a_misspelt_or_mistyped_key_in_the_config_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 db_url: str, text: str, named: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_CONFIG", str(path))
    result = invoke(["--db", db_url, "me"], code=1)
    assert named in result.stderr and str(path) in result.stderr


def test_config_set_list_show_and_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    path = tmp_path / "c.toml"
    monkeypatch.setenv("FLOWPOP_CONFIG", str(path))
    invoke(["config", "set", "remote", "--url", "http://127.0.0.1:9", "--token", "fp_secret_token_value"])
    invoke(["config", "set", "here", "--db", db_url])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listed = invoke(["config", "list"]).stdout
    assert "remote" in listed and "here" in listed and str(path) in listed
    shown = jsonout(invoke(["config", "show", "remote"]))
    assert shown["url"] == "http://127.0.0.1:9"
    assert shown["token"] != "fp_secret_token_value" and "secret" not in invoke(["config", "show", "remote"]).stdout
    assert jsonout(invoke(["--profile", "here", "me", "--format", "json"]))["username"] == "local"
    invoke(["config", "set", "remote", "--unset", "token"])
    assert "token" not in jsonout(invoke(["config", "show", "remote"]))
    invoke(["config", "show", "nobody"], code=2)
    invoke(["config", "set", "remote"], code=2)


def test_config_settings_shows_the_effective_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[targets]\nregistration = 0.8\n[floating]\ndistricts_of_one_city = true\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))
    shown = jsonout(invoke(["config", "settings"]))
    assert shown["targets"]["registration"] == 0.8
    assert shown["floating"] == {"min_days_away": 30, "min_age": 18, "max_age": 49, "districts_of_one_city": True,
                                 "excluded_reasons": []}
    assert shown["targets"]["certificate"] == 0.95  # the default where the file says nothing
    assert shown["file"] == str(path)


def test_a_bad_settings_file_stops_a_command_naming_key_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  db_url: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[targets]\nregistration = "90%"\n[deadlines]\nnotification_sned = 3\n', encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))
    result = invoke(["--db", db_url, "report", "rates"], code=1)
    assert "targets.registration" in result.stderr and "deadlines.notification_sned" in result.stderr
    assert str(path) in result.stderr
    assert "服务器内部错误" not in result.stderr + result.stdout
