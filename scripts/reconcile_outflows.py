"""Pair outflow-only records with inflow-only records across counties, and merge each pair (漏管 → 共管).

    python scripts/reconcile_outflows.py [--division CODE] [--period 2026Q4] [--include-probable]
                                         [--apply] [--json]

A stay registered by one side only is unmanaged (漏管: county.comanagement counts each side's
registration, not notices). The job finds such stays through their still unacknowledged registration
notices (流动登记通报). When the household side registered an outflow and the residence side
registered an inflow of the same flow (same household and residence county) as two separate
records, the two are paired:
  - certain  (确定): the same ID number;
  - probable (可能): the same name and birth date but different ID numbers — shown, and merged only
    with --include-probable.
--apply merges each pair with a merge changeset keeping the residence side's record (it has the
current address; the other record is archived, its stay archived and moved to the kept record; the
merge carries the household side's registration over to the kept stay, which makes it co-managed), then
acknowledges both registration notices (receipt only: it counts for nothing in the rate). The
co-management rate (共管率) of the period is shown before and, after --apply, again.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import _common as c

import flowpop
from flowpop.types import ChangesetPreview, Message, PersonDetail, Rate, Stay

REASON = "流出流入双方登记配对合并（共管）"


@dataclass(frozen=True)
class Notice:
    """One side's registration of a cross-county stay, as its unacknowledged notice describes it."""

    message: Message
    side: str  # household | residence
    name: str
    birth: str
    masked_id: str


@dataclass(frozen=True)
class Record:
    notice: Notice
    stay: Stay
    person: PersonDetail  # revealed


@dataclass
class Pair:
    kind: str  # certain | probable
    household: Record
    residence: Record
    preview: ChangesetPreview | None = None
    merged: dict[str, Any] | None = None


def co_management(client: flowpop.Client, period: str, scope: c.Scope) -> Rate:
    report = client.reports.rates(period, level="county", division=scope.code)
    return next(r for r in report.total.rates if r.key == "co_management")


def rate_text(out: c.Out, rate: Rate) -> str:
    value = "—" if rate.value is None else f"{rate.value:.1%}"
    return f"{rate.numerator}/{rate.denominator} = {value}" + c.t(f"（目标 {rate.target:.0%}）", f" (target {rate.target:.0%})")


def rate_json(rate: Rate) -> dict[str, Any]:
    return {"numerator": rate.numerator, "denominator": rate.denominator, "value": rate.value, "target": rate.target}


def notices(client: flowpop.Client, scope: c.Scope) -> list[Notice]:
    """Unacknowledged stay registrations across counties, with the side that registered each: the notices the
    inbox counts as open (status "open", the registry's one list of open statuses — matched included)."""
    found = []
    for m in client.inbox.list(box="all", status="open", kind="notification", division=scope.code, limit=500):
        if m.topic != "stay_registered" or m.stay_id is None:
            continue
        household, residence = m.subject.get("household_code") or "", m.subject.get("residence_code") or ""
        if not household or not residence or household[:6] == residence[:6]:
            continue
        sender = m.sender_code[:6]
        side = "residence" if sender == residence[:6] else "household" if sender == household[:6] else None
        if side:
            born = m.subject.get("birth_date") or m.subject.get("birth_year")  # the inbox shows the year only
            found.append(Notice(m, side, m.subject.get("name") or "", str(born or ""), m.subject.get("id_number") or ""))
    return found


class Records:
    """Notices resolved to their stay and revealed person, each read once; None when the stay is no longer
    the person's current open stay or the person is no longer active."""

    def __init__(self, client: flowpop.Client) -> None:
        self.client = client
        self.cache: dict[int, Record | None] = {}

    def get(self, notice: Notice) -> Record | None:
        key = notice.message.id
        if key not in self.cache:
            try:
                stay = self.client.stays.get(notice.message.stay_id or 0)
                person = self.client.persons.get(stay.person_id, reveal=True)
            except flowpop.NotFoundError:  # moved out of the caller's jurisdiction since
                self.cache[key] = None
                return None
            live = stay.status == "open" and person.status == "active" and person.current_stay_id == stay.id
            self.cache[key] = Record(notice, stay, person) if live else None
        return self.cache[key]


def same_flow(a: Record, b: Record) -> bool:
    """Two records of one flow: same household county, same residence county, different records."""
    return (a.person.id != b.person.id and a.stay.household_code[:6] == b.stay.household_code[:6]
            and a.stay.residence_code[:6] == b.stay.residence_code[:6])


def find_pairs(client: flowpop.Client, out: c.Out, found: list[Notice]) -> tuple[list[Pair], list[Pair]]:
    """Certain pairs (same ID number) and unambiguous probable ones (same name and birth date)."""
    blocks: dict[str, dict[str, list[Notice]]] = defaultdict(lambda: {"household": [], "residence": []})
    for n in found:
        blocks[n.birth][n.side].append(n)
    # only notices that could pair are resolved (each resolution reads the stay and reveals the person)
    candidates = [(h, r) for b in blocks.values() for h in b["household"] for r in b["residence"]
                  if h.name == r.name or h.masked_id == r.masked_id]
    records = Records(client)
    progress = c.Progress(out, len(candidates), "核对候选", "checking candidates")
    live: list[tuple[Record, Record]] = []
    for hn, rn in candidates:
        progress.step()
        hr, rr = records.get(hn), records.get(rn)
        if hr and rr and same_flow(hr, rr):
            live.append((hr, rr))
    used: set[int] = set()
    certain = []
    for h, r in live:
        if h.person.id_number == r.person.id_number and not {h.person.id, r.person.id} & used:
            certain.append(Pair("certain", h, r))
            used |= {h.person.id, r.person.id}
    rest = [(h, r) for h, r in live if not {h.person.id, r.person.id} & used
            and h.person.name == r.person.name and h.person.birth_date == r.person.birth_date]
    times: dict[int, int] = defaultdict(int)
    for h, r in rest:
        times[h.person.id] += 1
        times[r.person.id] += 1
    probable = [Pair("probable", h, r) for h, r in rest if times[h.person.id] == times[r.person.id] == 1]
    return certain, probable


def pair_lines(out: c.Out, pair: Pair) -> list[str]:
    lines = []
    for rec, who, mark in ((pair.household, c.t("户籍地登记", "household side"), ""),
                           (pair.residence, c.t("现居住地登记", "residence side"), c.t("  ← 保留", "  ← keep"))):
        p, s = rec.person, rec.stay
        lines.append(f"    {who}: #{p.id} {p.name} {c.masked(p.id_number)} {p.birth_year} "
                     f"{s.household_name or s.household_code} → {s.residence_name or s.residence_code}{mark}")
    if pair.preview:
        lines += c.preview_lines(out, pair.preview, indent="    ")
    return lines


def pair_json(pair: Pair) -> dict[str, Any]:
    h, r = pair.household, pair.residence
    return {"kind": pair.kind, "keep": r.person.id, "merge": h.person.id, "household_side": c.person_json(h.person),
            "residence_side": c.person_json(r.person), "notices": [h.notice.message.id, r.notice.message.id],
            "changeset": c.preview_json(pair.preview) if pair.preview else None, "applied": pair.merged}


def plan(client: flowpop.Client, pair: Pair, reason: str) -> None:
    keep, other = pair.residence.person.id, pair.household.person.id
    pair.preview = client.changesets.plan(operation="merge", selection={"ids": [keep, other]},
                                          values={"keep": keep, "archive_open_stays": True}, reason=reason)


def job(args: argparse.Namespace, client: flowpop.Client, out: c.Out) -> int:
    scope = c.scope_of(client, args.division)
    period = args.period or c.quarter_of(c.today())
    before = co_management(client, period, scope)
    certain, probable = find_pairs(client, out, notices(client, scope))
    to_merge = certain + (probable if args.include_probable else [])
    for pair in to_merge:
        plan(client, pair, args.reason)
    out.summary.update(job="reconcile_outflows", dry_run=not args.apply, division=scope.code, period=period,
                       rate_before=rate_json(before), pairs=[], acknowledged=0, rate_after=None)
    out.say(c.t(f"共管率（{period}）：", f"co-management ({period}): ") + rate_text(out, before))
    out.say(c.t(f"确定为同一人（身份证号相同）：{len(certain)} 对", f"certain pairs (same ID number): {len(certain)}"))
    for pair in certain:
        out.say("\n".join(pair_lines(out, pair)))
    note = "" if args.include_probable or not probable else c.t("（加 --include-probable 才合并）",
                                                                  " (merged only with --include-probable)")
    out.say(c.t(f"可能为同一人（姓名、出生日期相同，身份证号不同）：{len(probable)} 对{note}",
                  f"probable pairs (same name and birth date, different ID numbers): {len(probable)}{note}"))
    for pair in probable:
        out.say("\n".join(pair_lines(out, pair)))
    if not args.apply or not to_merge:
        if to_merge:
            out.say("（试运行，未做任何修改；加 --apply 执行合并）", "(dry run: nothing changed; add --apply to merge)")
        out.summary["pairs"] = [pair_json(p) for p in certain + probable]
        return c.EXIT_OK
    code = c.EXIT_OK
    acknowledge: list[int] = []
    for pair in to_merge:
        assert pair.preview is not None
        done = c.apply_changeset(client, out, pair.preview, skip_failing=args.skip_failing)
        if done is None:
            code = c.EXIT_FAILING
            continue
        pair.merged = c.preview_json(done)
        acknowledge += [pair.household.notice.message.id, pair.residence.notice.message.id]
    out.summary["pairs"] = [pair_json(p) for p in certain + probable]
    merged = [p.merged["id"] for p in to_merge if p.merged]
    if acknowledge:
        result = client.inbox.acknowledge(acknowledge)
        out.summary["acknowledged"] = result.done
        out.say(c.t(f"已合并 {len(merged)} 对，确认登记通报 {result.done} 条（{len(result.skipped)} 条无权或已处理）",
                      f"merged {len(merged)} pairs, acknowledged {result.done} registration notices "
                      f"({len(result.skipped)} not yours or already handled)"))
        out.say(c.revert_hint(out, merged))
    after = co_management(client, period, scope)
    out.summary["rate_after"] = rate_json(after)
    out.say(c.t(f"共管率（{period}）现为：", f"co-management ({period}) now: ") + rate_text(out, after))
    return code


def main(argv: list[str] | None = None) -> int:
    p = c.parser(c.t("配对只有户籍地登记和只有现居住地登记的同一人记录并合并，提高共管率；默认试运行",
                     "pair outflow-only and inflow-only records of one person across counties and merge them; "
                     "a dry run unless --apply"))
    p.add_argument("--period", help=c.t("共管率的统计期：季度 2026Q4 或月份 2026-11（默认本季度）",
                                        "the rate's period: a quarter (2026Q4) or month (2026-11); default this quarter"))
    p.add_argument("--include-probable", action="store_true",
                   help=c.t("同时合并“可能为同一人”的配对（姓名、出生日期相同而身份证号不同）",
                            "also merge probable pairs (same name and birth date, different ID numbers)"))
    p.add_argument("--reason", default=REASON, help=c.t(f"记入每条修改的原因（默认：{REASON}）",
                                                        f"recorded with each change (default: {REASON})"))
    return c.run(job, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
