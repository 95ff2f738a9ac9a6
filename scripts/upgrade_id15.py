"""Upgrade legacy 15-digit ID numbers to 18 digits (the quality check `id_15_digits`).

    python scripts/upgrade_id15.py [--division CODE] [--apply] [--skip-failing] [--json]

Plans one upgrade_id15 changeset: century 19 inserted into the birth date, the check character
added; birth date, sex and category are set from the upgraded number. A number that cannot be
upgraded (an impossible date) is listed and blocks --apply unless --skip-failing. The changeset can
be reverted. Run this before dedupe_persons.py: an upgraded number may repeat an existing one.
"""

from __future__ import annotations

import argparse

import _common as c

import flowpop
from flowpop.types import ChangesetPreview

KEY = "id_15_digits"
REASON = "质量检查修复：id_15_digits"  # as the registry's own fix records it


def plan(client: flowpop.Client, scope: c.Scope, reason: str) -> tuple[ChangesetPreview, bool]:
    """The registry's own fix for the check when the scope is everything or one county; else the persons
    behind the check within the scope (True when that list was cut at the registry's limit)."""
    if scope.prefix == "" or scope.level == "county":
        return client.reports.quality_fix(KEY, division=scope.county), False
    persons, cut = c.quality_persons(client, KEY, scope)
    ids = [p.id for p in persons]
    return client.changesets.plan(operation="upgrade_id15", selection={"ids": ids}, reason=reason), cut


def sample_lines(out: c.Out, preview: ChangesetPreview) -> list[str]:
    lines = []
    for s in preview.samples:
        before, after = s.before.get("person", {}), s.after.get("person", {})
        lines.append(f"  #{s.person_id} {s.name}: {c.masked(before.get('id_number'))} → {c.masked(after.get('id_number'))}"
                     f"  {c.t('出生年份', 'born')} {after.get('birth_year')} {out.label('sex', after.get('sex'))}")
    return lines


def job(args: argparse.Namespace, client: flowpop.Client, out: c.Out) -> int:
    scope = c.scope_of(client, args.division)
    preview, truncated = plan(client, scope, REASON)
    out.summary.update(job="upgrade_id15", dry_run=not args.apply, division=scope.code, truncated=truncated,
                       changeset=c.preview_json(preview), applied=None)
    if truncated:
        out.err("15位号码较多，本次只处理了前一部分；执行后请再运行一次",
                "many 15-digit numbers: this run covers the first part only; run again after applying")
    if preview.total == 0:
        out.say("没有15位身份证号需要升级。", "no 15-digit ID numbers to upgrade.")
        return c.EXIT_OK
    out.say(c.t(f"15位身份证号 {preview.total} 条，可升级 {preview.total - preview.failing} 条，"
                  f"无法升级 {preview.failing} 条", f"{preview.total} 15-digit ID numbers: "
                  f"{preview.total - preview.failing} can be upgraded, {preview.failing} cannot"))
    for line in sample_lines(out, preview) + c.preview_lines(out, preview):
        out.say(line)
    if not args.apply:
        out.say("（试运行，未做任何修改；加 --apply 执行升级）", "(dry run: nothing changed; add --apply to upgrade)")
        return c.EXIT_OK
    done = c.apply_changeset(client, out, preview, skip_failing=args.skip_failing)
    if done is None:
        return c.EXIT_FAILING
    out.summary["applied"] = c.preview_json(done)
    out.say(c.t(f"已升级 {done.applied} 条：批量变更 {done.id}", f"upgraded {done.applied}: changeset {done.id}"))
    out.say(c.revert_hint(out, [done.id]))
    return c.EXIT_OK


def main(argv: list[str] | None = None) -> int:
    p = c.parser(c.t("把15位旧身份证号升级为18位（出生日期、性别随之更新）；默认试运行",
                     "upgrade 15-digit ID numbers to 18 digits (birth date and sex follow); a dry run unless --apply"))
    return c.run(job, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
