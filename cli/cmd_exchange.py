"""flowpop exchange …: online exchange with other registries — this registry's signing key, its peers (who
serves which division prefix), and a delivery round of the outbox (cron-friendly; `flowpop serve` runs rounds
continuously)."""

from __future__ import annotations

import click

from flowpop.errors import NotFoundError
from flowpop.types import ExchangeIdentity, ExchangePeer
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.state import FAILURE, CommandFailed, State, pass_state, t
from flowpop_cli.views import Column


def _key_card(ident: ExchangeIdentity) -> list[tuple[str, str]]:
    return [
        (t("公钥", "Public key"), ident.public_key),
        (t("指纹", "Fingerprint"), ident.fingerprint),
        (t("本库编号", "Registry id"), ident.registry_id),
        (t("本库辖区", "Own area"), ", ".join(ident.own_area) or "—"),
        (t("创建时间", "Created"), f"{ident.created_at:%Y-%m-%d %H:%M} UTC"),
    ]


@click.group()
def exchange() -> None:
    """与其他登记库在线交换：密钥、对端、投递 / online exchange with other registries: key, peers, delivery."""


@exchange.command("key")
@click.option("--show", is_flag=True, help="只显示已有的公钥 / only show the existing key")
@format_options
@pass_state
def key(state: State, show: bool, fmt: str) -> None:
    """创建本库的 Ed25519 签名密钥（存于登记库内），显示公钥与指纹；已有则显示之 / create this registry's
    Ed25519 signing key (kept in the registry) and print its public key and fingerprint; print it if it exists.

    把公钥交给对端管理员（flowpop exchange peer add … --key 公钥），并核对指纹 /
    give the public key to your peers' administrators (flowpop exchange peer add … --key KEY); compare fingerprints."""
    try:
        ident = state.client.exchange.key()
    except NotFoundError:
        if show:
            raise CommandFailed(
                t(
                    "本库尚无交换密钥（flowpop exchange key 创建）",
                    "this registry has no exchange key yet (flowpop exchange key creates it)",
                ),
                3,
            ) from None
        ident = state.client.exchange.create_key()
        click.echo(t("已创建交换密钥", "exchange key created"), err=True)
    render_one(ident, fmt, lambda: _key_card(ident))


@exchange.group("peer")
def peer() -> None:
    """对端登记库（或中继）：地址、公钥、服务的区划前缀 / peer registries (or relays): URL, key, prefixes served."""


PEER_COLUMNS = [
    Column("名称", "Name", lambda p: p.name),
    Column("地址", "URL", lambda p: p.url, flex="end"),
    Column("服务区划", "Serves", lambda p: ",".join(p.serves), flex="end"),
    Column("指纹", "Fingerprint", lambda p: p.fingerprint[:20] + "…"),
]


def _split(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    return [part.strip() for v in value for part in v.split(",") if part.strip()]


@peer.command("add")
@click.argument("name")
@click.option("--url", required=True, help="对端地址，如 https://registry.example.cn / the peer's base URL")
@click.option(
    "--key", "public_key", required=True, help="对端公钥（flowpop exchange key 所显示）/ its public key"
)
@click.option(
    "--serves",
    required=True,
    multiple=True,
    callback=_split,
    metavar="PREFIX[,PREFIX]",
    help="对端服务的区划代码前缀，如 4307 或 430702；中继可有许多 / division prefixes it serves",
)
@format_options
@pass_state
def peer_add(state: State, name: str, url: str, public_key: str, serves: list[str], fmt: str) -> None:
    """登记对端（同名则更新）/ add a peer (or update the one of that name)."""
    added: ExchangePeer = state.client.exchange.add_peer(name, url=url, key=public_key, serves=serves)
    render_one(added, fmt, lambda: [(c.header, str(c.get(added))) for c in PEER_COLUMNS])


@peer.command("list")
@format_options
@pass_state
def peer_list(state: State, fmt: str) -> None:
    """对端目录：谁服务哪些区划 / the directory: who serves which division prefixes."""
    render(state.client.exchange.peers(), fmt, PEER_COLUMNS, model=ExchangePeer)


@exchange.command("sync")
@click.option("--retry-now", is_flag=True, help="退避等待中的也立即重试 / retry those backing off now too")
@format_options
@pass_state
def sync(state: State, retry_now: bool, fmt: str) -> None:
    """投递一轮：状态回传入队，待发信封发往对端；有未送达的则退出码 1（可放入 cron）/ one delivery round:
    state changes queued, pending envelopes posted to their peers; exit 1 when some failed (cron-friendly)."""
    result = state.client.exchange.sync(retry_now=retry_now)
    render_one(
        result,
        fmt,
        lambda: [
            (t("已送达", "Delivered"), str(result.delivered)),
            (t("被拒收", "Refused"), str(result.refused)),
            (t("失败待重试", "Failed, will retry"), str(result.failed)),
            (t("待发", "Pending"), str(result.pending)),
            (t("无对端服务的", "No peer serves them"), str(result.unrouted)),
            *[(t("问题", "Problem"), e) for e in result.errors],
        ],
    )
    if result.failed or result.refused:
        raise click.exceptions.Exit(FAILURE)
