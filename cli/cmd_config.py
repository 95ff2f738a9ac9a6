"""`flowpop config`: the profiles in the config file and the registry's effective settings."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from flowpop.config import config_path, read_config, write_profile
from flowpop_cli.state import t


def mask(token: str | None) -> str | None:
    """A token shown by its first four characters only."""
    if not token:
        return token
    return token[:4] + "…" if len(token) > 8 else "…"


@click.group("config")
def config() -> None:
    """配置文件中的配置与登记库设置 / profiles in the config file and the registry's settings."""


@config.command("list")
def list_profiles() -> None:
    """列出配置 / list the profiles."""
    path = config_path()
    data = read_config(path)
    click.echo(t(f"配置文件：{path}", f"config file: {path}") + ("" if path.exists() else t("（不存在）", " (does not exist)")))
    wanted = os.environ.get("FLOWPOP_PROFILE") or data.default_profile
    for name, prof in data.profiles.items():
        where = prof.url or prof.db or t("本地默认登记库", "default local registry")
        click.echo(f"{'*' if name == wanted else ' '} {name}\t{where}")


@config.command("show")
@click.argument("name")
def show_profile(name: str) -> None:
    """显示一个配置（令牌隐去）/ show one profile (token masked)."""
    path = config_path()
    data = read_config(path)
    if name not in data.profiles:
        raise click.BadParameter(t(f"没有名为 {name!r} 的配置（{path}）", f"no profile named {name!r} in {path}"),
                                 param_hint="NAME")
    values: dict[str, Any] = data.profiles[name].model_dump(exclude_unset=True)
    if "token" in values:
        values["token"] = mask(values["token"])
    click.echo(json.dumps({"profile": name, "file": str(path), **values}, ensure_ascii=False, indent=2))


@config.command("set")
@click.argument("name")
@click.option("--url", help="登记服务地址 / registry server URL")
@click.option("--token", help="API 令牌 / API token")
@click.option("--db", metavar="PATH_OR_URL", help="本地登记库 / local registry (file or database URL)")
@click.option("--unset", "unset", multiple=True, type=click.Choice(["url", "token", "db"]),
              help="删除某项 / remove a key")
def set_profile(name: str, url: str | None, token: str | None, db: str | None, unset: tuple[str, ...]) -> None:
    """设置一个配置的 url、token 或 db / set a profile's url, token or db."""
    values: dict[str, str | None] = {k: v for k, v in {"url": url, "token": token, "db": db}.items() if v is not None}
    values.update({k: None for k in unset})
    if not values:
        raise click.UsageError(t("请至少给出 --url、--token、--db 或 --unset 之一",
                                 "give at least one of --url, --token, --db or --unset"))
    path = write_profile(name, values)
    click.echo(t(f"已更新配置 {name}（{path}）", f"profile {name} updated ({path})"))


@config.command("settings")
def show_settings() -> None:
    """显示登记库的有效设置（时限、目标等）/ show the registry's effective settings (deadlines, targets...)."""
    from flowpop.registry.kernel import settings  # the registry's settings: only this command needs them

    path = settings.settings_path()
    current = settings.load(str(path))
    out = {
        "file": str(path) + ("" if path.exists() else t("（不存在，使用默认值）", " (does not exist: defaults)")),
        "deadlines": current.deadlines,
        "penalties": current.penalties,
        "employers": current.employers,
        "targets": current.targets,
        "floating": current.floating,
        "exchange": {"home": list(current.home)},
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
