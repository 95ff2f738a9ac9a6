"""Shared by the clean-up jobs in scripts/: options, the client, bilingual output, progress, changesets.

Every job is a dry run unless --apply; --json prints one machine-readable summary on stdout;
progress goes to stderr. Exit codes: 0 done, 1 the registry refused or could not be reached,
2 bad options, 3 nothing applied because some records would fail (see --skip-failing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flowpop
from flowpop import labels
from flowpop.labels import t  # the one way to say a phrase in the user's language (jobs use c.t)
from flowpop.rules.divisions_source import pad12, prefix_of
from flowpop.rules.idnumber import mask
from flowpop.types import Changeset, ChangesetPreview, Person

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_FAILING = 0, 1, 2, 3


def parser(description: str, epilog: str = "") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_argument_group(t("登记系统（默认依次取 FLOWPOP_DB / FLOWPOP_URL / FLOWPOP_TOKEN、配置文件、本机登记库）",
                                   "registry (default: FLOWPOP_DB / FLOWPOP_URL / FLOWPOP_TOKEN, profile, local file)"))
    where.add_argument("--db", metavar="PATH_OR_URL", help=t("本机登记库文件或数据库 URL", "a local registry file or database URL"))
    where.add_argument("--url", help=t("flowpop serve 服务器地址", "a `flowpop serve` server"))
    where.add_argument("--token", help=t("服务器的 API 令牌", "API token for --url"))
    where.add_argument("--profile", help=t("配置文件中的配置名", "a profile from the config file"))
    p.add_argument("--division", metavar="CODE", help=t("只处理该区划及其下级（6、9、12 或 15 位代码）",
                                                        "limit to this division's subtree (6, 9, 12 or 15 digits)"))
    p.add_argument("--apply", action="store_true", help=t("执行修改（默认只试运行，不改任何记录）",
                                                          "make the changes (default: a dry run that changes nothing)"))
    p.add_argument("--skip-failing", action="store_true", help=t("有记录无法修改时跳过它们、修改其余记录",
                                                                 "apply the rest when some records cannot be changed"))
    p.add_argument("--json", action="store_true", help=t("输出机器可读的汇总（JSON）", "print a machine-readable summary"))
    p.add_argument("--lang", choices=("zh", "en"), help=t("输出语言（默认取 FLOWPOP_LANG，否则中文）",
                                                          "output language (default: FLOWPOP_LANG, else Chinese)"))
    return p


def connect(args: argparse.Namespace) -> flowpop.Client:
    return flowpop.Client(db=args.db, url=args.url, token=args.token, profile=args.profile)


def today() -> dt.date:
    """The registry's 'today' (FLOWPOP_TODAY pins it, as the registry does)."""
    pinned = os.environ.get("FLOWPOP_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@dataclass
class Out:
    """Human text on stdout (Chinese or English, as flowpop.labels.lang() decides), or only the JSON summary
    with --json."""

    json_mode: bool
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return labels.lang()

    def say(self, zh: str, en: str | None = None) -> None:
        if not self.json_mode:
            print(zh if en is None else t(zh, en))

    def err(self, zh: str, en: str) -> None:
        print(t(zh, en), file=sys.stderr)

    def label(self, kind: str, code: str | None) -> str:
        return labels.label(kind, code)

    def finish(self) -> None:
        if self.json_mode:
            print(json.dumps(self.summary, ensure_ascii=False, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class Progress:
    """`label i/n` on stderr, at most once a second (and at the end), for work worth waiting on."""

    def __init__(self, out: Out, total: int, zh: str, en: str, *, minimum: int = 20) -> None:
        self.out, self.total, self.text = out, total, t(zh, en)
        self.done = 0
        self.shown = 0.0
        self.active = total >= minimum

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.active and n > 0 and (now - self.shown >= 1.0 or self.done >= self.total):
            self.shown = now
            print(f"{self.text} {self.done}/{self.total}", file=sys.stderr, flush=True)


def run(job: Callable[[argparse.Namespace, flowpop.Client, Out], int], args: argparse.Namespace) -> int:
    """Open the client, run the job, turn the SDK's errors into a message and an exit code.
    --lang chooses the language (flowpop.labels.lang decides it everywhere) for this run only."""
    if not args.lang:
        return _run(job, args)
    previous = labels.set_lang(args.lang)
    try:
        return _run(job, args)
    finally:
        labels.set_lang(previous)


def _run(job: Callable[[argparse.Namespace, flowpop.Client, Out], int], args: argparse.Namespace) -> int:
    out = Out(json_mode=args.json)
    try:
        with connect(args) as client:
            code = job(args, client, out)
    except flowpop.APIStatusError as exc:
        out.err("登记系统拒绝了请求：", "the registry refused: ")
        print(exc.localized(labels.lang()), file=sys.stderr)
        return EXIT_API
    except flowpop.APIConnectionError as exc:
        print(labels.message(exc), file=sys.stderr)
        return EXIT_API
    except KeyError as exc:  # an unknown profile name
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    out.finish()
    return code


# ------------------------------------------------------------------------------------------ places


@dataclass(frozen=True)
class Scope:
    """--division resolved: the 12/15-digit code, its subtree prefix, and its county (quality checks are per county)."""

    code: str | None = None
    prefix: str = ""
    level: str | None = None

    @property
    def county(self) -> str | None:
        """The county code to ask the quality checks for, when the scope lies within one county."""
        return pad12(self.prefix[:6]) if len(self.prefix) >= 6 else None

    def covers(self, *codes: str | None) -> bool:
        return not self.prefix or any(c and c.startswith(self.prefix) for c in codes)


def scope_of(client: flowpop.Client, code: str | None) -> Scope:
    if not code:
        return Scope()
    division = client.divisions.get(pad12(code.strip()))  # NotFoundError for an unknown code
    return Scope(division.code, prefix_of(division.code, division.level), division.level)


# ------------------------------------------------------------------------------------------ records


def masked(number: str | None) -> str:
    return mask(number) or ""


def person_line(out: Out, p: Person, *, extra: str = "") -> str:
    place = p.residence_name or p.household_name or ""
    updated = p.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")  # the registry keeps UTC
    return (f"#{p.id} {p.name} {masked(p.id_number)} {out.label('person_status', p.status)} "
            f"{place} {t('更新于', 'updated')} {updated}{extra}")


def person_json(p: Person) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "id_number": masked(p.id_number), "status": p.status,
            "birth_year": p.birth_year, "household_code": p.household_code, "residence_code": p.residence_code,
            "updated_at": p.updated_at, "version": p.version}


def quality_persons(client: flowpop.Client, key: str, scope: Scope, limit: int = 5000) -> tuple[list[Person], bool]:
    """The persons behind a quality check within the scope; True when the registry's list was cut at the limit."""
    found = client.reports.quality_persons(key, division=scope.county, limit=limit)
    return [p for p in found if scope.covers(p.residence_code, p.household_code)], len(found) >= limit


# ------------------------------------------------------------------------------------------ changesets


def _hide(values: Any) -> Any:
    """ID numbers in a preview's before/after are shown masked; the reversed-number index is not shown."""
    if isinstance(values, dict):
        return {k: masked(v) if k == "id_number" else _hide(v) for k, v in values.items() if k != "id_rev"}
    return values


def preview_lines(out: Out, preview: ChangesetPreview, *, indent: str = "  ") -> list[str]:
    """The counts and the records that cannot be changed (each job shows its own samples)."""
    lines = [indent + t(f"批量变更 {preview.id}（{preview.operation}）：{preview.total} 条，其中 {preview.failing} 条无法修改",
                            f"changeset {preview.id} ({preview.operation}): {preview.total} records, "
                            f"{preview.failing} cannot be changed")]
    for f in preview.failures[:20]:
        lines.append(f"{indent}  {t('无法修改', 'cannot change')} #{f.person_id} {f.name} {f.id_number}: "
                     f"{labels.message(f)}")
    if preview.failing > 20:
        lines.append(indent + t(f"  ……另有 {preview.failing - 20} 条", f"  … and {preview.failing - 20} more"))
    return lines


def preview_json(preview: ChangesetPreview | Changeset) -> dict[str, Any]:
    data: dict[str, Any] = {"id": preview.id, "operation": preview.operation, "status": preview.status,
                            "total": preview.total, "failing": preview.failing, "applied": preview.applied}
    if isinstance(preview, ChangesetPreview):
        data["samples"] = [{"person_id": s.person_id, "name": s.name, "id_number": s.id_number,
                            "before": _hide(s.before), "after": _hide(s.after)} for s in preview.samples]
        data["failures"] = [{"person_id": f.person_id, "name": f.name, "id_number": f.id_number, "code": f.code,
                             "message": f.message, "message_en": f.message_en} for f in preview.failures]
    return data


def apply_changeset(client: flowpop.Client, out: Out, preview: ChangesetPreview, *, skip_failing: bool) -> Changeset | None:
    """Apply a planned changeset; None (and a message) when records would fail and --skip-failing was not given.
    A chunked changeset is applied one chunk per call so progress can be shown; a rerun resumes it."""
    if preview.failing and not skip_failing:
        out.err(f"未执行批量变更 {preview.id}：有 {preview.failing} 条记录无法修改（见上）；加 --skip-failing 可跳过它们",
                f"changeset {preview.id} not applied: {preview.failing} records cannot be changed (listed above); "
                "add --skip-failing to apply the rest")
        return None
    if not preview.chunk_size:
        return client.changesets.apply(preview.id, skip_failing=skip_failing)
    progress = Progress(out, preview.total, "已执行", "applied", minimum=1)
    result = client.changesets.apply(preview.id, skip_failing=skip_failing, max_chunks=1)
    while True:
        progress.step(result.applied + result.failing - progress.done)
        if result.status != "applying":
            return result
        # records that changed after the preview are set aside chunk by chunk, as a single call would
        result = client.changesets.apply(preview.id, skip_failing=True, max_chunks=1)


def revert_hint(out: Out, ids: list[str]) -> str:
    if len(ids) == 1:
        return t(f"如需撤销：flowpop bulk revert {ids[0]}（或 client.changesets.revert(\"{ids[0]}\")）",
                     f"to undo: flowpop bulk revert {ids[0]} (or client.changesets.revert(\"{ids[0]}\"))")
    return t("如需撤销：对上面列出的每个批量变更运行 flowpop bulk revert ID（或 client.changesets.revert(ID)）",
                 "to undo: flowpop bulk revert ID (or client.changesets.revert(ID)) for each changeset listed above")
