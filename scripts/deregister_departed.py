"""Deregister people who have left: stays past their expected return, and people an inspection found gone.

    python scripts/deregister_departed.py [--grace-days N] [--include-not-found] [--division CODE]
                                          [--date YYYY-MM-DD] [--chunk-size N] [--apply] [--json]

Selects active persons whose open stay's expected return date lies before today minus the grace
days and, with --include-not-found, active persons whose latest outcome in an open or recent (this
or last quarter's) inspection campaign is "not found" (查无此人). Plans one deregister changeset
("人走注销": the person deregistered, the open stay ended on --date, the day they left, which the registry
requires: the 7-day rate compares it with the day the deregistration is entered); apply it in resumable
chunks with --chunk-size. The changeset can be reverted.
"""

from __future__ import annotations

import argparse
import datetime as dt

import _common as c

import flowpop
from flowpop._params import StatusValues
from flowpop.types import Campaign, Person

REASON = "逾期未返/清查查无此人"
PAGE = 500


def previous_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def recent_campaigns(client: flowpop.Client, day: dt.date) -> list[Campaign]:
    wanted = {c.quarter_of(day), previous_quarter(c.quarter_of(day))}
    return [k for k in client.inspections.list() if k.status == "open" or k.quarter in wanted]


def not_found(client: flowpop.Client, out: c.Out, scope: c.Scope, day: dt.date) -> dict[int, Person]:
    """Active persons whose latest recorded outcome in a recent campaign is not_found."""
    latest: dict[int, tuple[float, str]] = {}
    for campaign in recent_campaigns(client, day):
        after = 0
        while True:
            items = client.inspections.items(campaign.id, pending=False, after=after, limit=PAGE)
            for item in items:
                if item.kind != "stay" or item.person_id is None or not scope.covers(item.village_code):
                    continue
                at = item.recorded_at.timestamp() if item.recorded_at else 0.0
                if at >= latest.get(item.person_id, (-1.0, ""))[0]:
                    latest[item.person_id] = (at, item.outcome or "")
            if len(items) < PAGE:
                break
            after = items[-1].id
    gone = sorted(pid for pid, (_, outcome) in latest.items() if outcome == "not_found")
    found: dict[int, Person] = {}
    progress = c.Progress(out, len(gone), "核对查无此人", "checking not-found persons")
    for pid in gone:
        progress.step()
        person = client.persons.get(pid)
        if person.status == "active":
            found[pid] = person
    return found


def job(args: argparse.Namespace, client: flowpop.Client, out: c.Out) -> int:
    scope = c.scope_of(client, args.division)
    day = c.today()
    cutoff = day - dt.timedelta(days=args.grace_days)
    overdue = {p.id: p for p in client.persons.list(expected_return_before=cutoff, status="active",
                                                    division=scope.code, limit=PAGE)}
    gone = not_found(client, out, scope, day) if args.include_not_found else {}
    selected = {**overdue, **gone}
    out.summary.update(job="deregister_departed", dry_run=not args.apply, division=scope.code,
                       expected_return_before=cutoff, overdue=sorted(overdue), not_found=sorted(gone),
                       changeset=None, applied=None)
    out.say(c.t(f"预计返回日期早于 {cutoff} 仍在册：{len(overdue)} 人", f"active past an expected return before "
                  f"{cutoff}: {len(overdue)}"))
    if args.include_not_found:
        out.say(c.t(f"清查查无此人仍在册：{len(gone)} 人（两者皆是 {len(overdue.keys() & gone.keys())} 人）",
                      f"found gone by an inspection, still active: {len(gone)} (both: {len(overdue.keys() & gone.keys())})"))
    if not selected:
        out.say("没有需要注销的人员。", "nobody to deregister.")
        return c.EXIT_OK
    values: StatusValues = {"date": args.date.isoformat()} if args.date else {}  # refused without: the day they left
    preview = client.changesets.plan(operation="deregister", selection={"ids": sorted(selected)}, values=values,
                                     reason=args.reason, chunk_size=args.chunk_size)
    out.summary["changeset"] = c.preview_json(preview)
    for s in preview.samples:
        p = selected[s.person_id]
        why = c.t("查无此人", "not found") if s.person_id in gone else c.t("逾期未返", "overdue")
        out.say(f"  {c.t('示例', 'e.g.')} #{p.id} {p.name} {c.masked(p.id_number)} {p.residence_name or ''} "
                f"{c.t('流入', 'arrived')} {p.arrived_on} — {why}")
    for line in c.preview_lines(out, preview):
        out.say(line)
    if not args.apply:
        out.say(c.t(f"（试运行，未做任何修改；加 --apply 以离开日期 {args.date} 注销）",
                      f"(dry run: nothing changed; add --apply to deregister as of {args.date})"))
        return c.EXIT_OK
    done = c.apply_changeset(client, out, preview, skip_failing=args.skip_failing)
    if done is None:
        return c.EXIT_FAILING
    out.summary["applied"] = c.preview_json(done)
    out.say(c.t(f"已注销 {done.applied} 人：批量变更 {done.id}", f"deregistered {done.applied}: changeset {done.id}"))
    out.say(c.revert_hint(out, [done.id]))
    return c.EXIT_OK


def _chunk(text: str) -> int:
    n = int(text)
    if n < 100:
        raise argparse.ArgumentTypeError(c.t("至少 100", "at least 100"))
    return n


def main(argv: list[str] | None = None) -> int:
    p = c.parser(c.t("注销逾期未返和清查查无此人的人员（人走注销）；默认试运行",
                     "deregister people past their expected return or found gone by an inspection; "
                     "a dry run unless --apply"))
    p.add_argument("--grace-days", type=int, default=0, metavar="N",
                   help=c.t("只选预计返回日期已过 N 天以上的（默认 0）", "only stays more than N days past their expected "
                            "return (default 0)"))
    p.add_argument("--include-not-found", action="store_true",
                   help=c.t("同时注销本季度、上季度或未结束的清查中查无此人的人员",
                            "also persons an open or recent inspection found gone"))
    p.add_argument("--date", type=dt.date.fromisoformat, help=c.t("人员离开的日期 YYYY-MM-DD（登记系统要求；录入时间另行记录）",
                                                                  "the day they left, YYYY-MM-DD (the registry "
                                                                  "requires it; the time of entry is kept apart)"))
    p.add_argument("--reason", default=REASON, help=c.t(f"注销原因（默认：{REASON}）", f"the reason recorded (default: {REASON})"))
    p.add_argument("--chunk-size", type=_chunk, metavar="N", help=c.t("分批执行，每批 N 条（至少 100）",
                                                                      "apply in chunks of N records (at least 100)"))
    return c.run(job, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
