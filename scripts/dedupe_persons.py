"""Merge duplicate person records: the same ID number registered more than once.

    python scripts/dedupe_persons.py [--division CODE] [--apply] [--json]

Finds the records behind the quality checks `duplicate_active_id` (two active records with one ID
number) and `duplicate_record` (same name and ID number), groups every live record that shares the
(revealed) ID number and plans one merge changeset per group; the registry keeps the best record
(survivors.keeping_order, the rule of the quality check's merge fix too): the others are
archived with "merged into <id>" and their stays move to the kept record (an open stay of theirs is
archived when the kept record has one). Each changeset can be reverted.
"""

from __future__ import annotations

import argparse

import _common as c

import flowpop
from flowpop.types import Person

CHECKS = ("duplicate_active_id", "duplicate_record")
REASON = "重复建档合并（同一身份证号）"
EPILOG_ZH = """保留哪条记录（由登记库按统一规则选定，与质量检查的合并修复相同）：
  1. 在册的优先于已注销的
  2. 其次最近更新的
  3. 再次流动记录最多的
  4. 最后最早建档的
读取完整身份证号会记入访问日志（需有查看完整号码的权限）。
请先运行 upgrade_id15.py：15位号码升级后才能与18位号码归为一组。"""
EPILOG_EN = """which record is kept (the registry chooses, by the rule the quality check's merge fix uses):
  1. an active record before a deregistered one
  2. then the most recently updated
  3. then the one with the most stays
  4. then the oldest
Reading full ID numbers is logged in the access log (needs a role that may reveal them).
Run upgrade_id15.py first: a 15-digit number and its 18-digit form are only grouped once upgraded."""


def find_groups(client: flowpop.Client, out: c.Out, scope: c.Scope) -> tuple[dict[str, list[Person]], bool]:
    """Full ID number → the live (not archived) records carrying it, for every flagged record in scope."""
    flagged: dict[int, Person] = {}
    truncated = False
    for key in CHECKS:
        found, cut = c.quality_persons(client, key, scope)
        truncated |= cut
        flagged.update((p.id, p) for p in found)
    groups: dict[str, list[Person]] = {}
    seen: set[int] = set()
    progress = c.Progress(out, len(flagged), "读取重复记录", "reading duplicates")
    for pid in sorted(flagged):
        progress.step()
        if pid in seen:
            continue
        number = client.persons.get(pid, reveal=True).id_number
        members = [p for p in client.persons.list(id_number=number, reveal=True, limit=100)
                   if p.id_number == number and p.status != "archived"]
        seen.update(p.id for p in members)
        seen.add(pid)
        if len(members) > 1:
            groups[number] = sorted(members, key=lambda p: p.id)
    return groups, truncated


def job(args: argparse.Namespace, client: flowpop.Client, out: c.Out) -> int:
    scope = c.scope_of(client, args.division)
    counts = {ch.key: ch.count for ch in client.reports.quality().checks if ch.key in CHECKS}
    groups, truncated = find_groups(client, out, scope)
    out.summary.update(job="dedupe_persons", dry_run=not args.apply, division=scope.code, checks=counts,
                       truncated=truncated, groups=[], applied=[], not_applied=[])
    out.say(c.t(f"质量检查：在册人员身份证号重复 {counts.get('duplicate_active_id', 0)} 人，"
                  f"姓名与身份证号完全重复 {counts.get('duplicate_record', 0)} 人",
                  f"quality checks: duplicate active ID number {counts.get('duplicate_active_id', 0)}, "
                  f"exact duplicates {counts.get('duplicate_record', 0)}"))
    if truncated:
        out.err("重复记录较多，本次只处理了前一部分；执行后请再运行一次",
                "many duplicates: this run covers the first part only; run again after applying")
    if not groups:
        out.say("没有需要合并的重复记录。", "nothing to merge.")
        return c.EXIT_OK
    out.say(c.t(f"共 {len(groups)} 组重复记录（每组一个批量变更）：", f"{len(groups)} groups of duplicates "
                  "(one changeset each):"))
    plans = []
    progress = c.Progress(out, len(groups), "预览合并", "planning merges")
    for number, members in groups.items():
        progress.step()
        # the registry chooses the record to keep (its one rule, as the quality fix's) and says which in the plan
        preview = client.changesets.plan(operation="merge", selection={"ids": [p.id for p in members]},
                                         values={"archive_open_stays": True}, reason=args.reason)
        keep = next(p for p in members if p.id == preview.params["keep"])
        plans.append(preview)
        out.say(c.t(f"身份证号 {c.masked(number)}：", f"ID number {c.masked(number)}:"))
        for p in members:
            mark = c.t("  ← 保留", "  ← keep") if p.id == keep.id else ""
            out.say("  " + c.person_line(out, p, extra=mark))
        for line in c.preview_lines(out, preview, indent="  "):
            out.say(line)
        out.summary["groups"].append({"id_number": c.masked(number), "keep": keep.id,
                                      "merge": [p.id for p in members if p.id != keep.id],
                                      "members": [c.person_json(p) for p in members],
                                      "changeset": c.preview_json(preview)})
    if not args.apply:
        out.say("（试运行，未做任何修改；加 --apply 执行合并）", "(dry run: nothing changed; add --apply to merge)")
        return c.EXIT_OK
    code = c.EXIT_OK
    for preview in plans:
        done = c.apply_changeset(client, out, preview, skip_failing=args.skip_failing)
        if done is None:
            out.summary["not_applied"].append(preview.id)
            code = c.EXIT_FAILING
            continue
        out.summary["applied"].append(c.preview_json(done))
        out.say(c.t(f"已合并：批量变更 {done.id}（归档 {done.applied} 条重复记录）",
                      f"merged: changeset {done.id} ({done.applied} duplicate records archived)"))
    ids = [a["id"] for a in out.summary["applied"]]
    if ids:
        out.say(c.revert_hint(out, ids))
    return code


def main(argv: list[str] | None = None) -> int:
    p = c.parser(c.t("合并重复建档的人员记录（同一身份证号）；默认试运行", "merge duplicate person records (one ID number); "
                     "a dry run unless --apply"), c.t(EPILOG_ZH, EPILOG_EN))
    p.add_argument("--reason", default=REASON, help=c.t(f"记入每条修改的原因（默认：{REASON}）",
                                                        f"recorded with each change (default: {REASON})"))
    return c.run(job, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
