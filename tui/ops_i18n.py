"""What the operations screens say (dashboard, inspection, quality, bulk changes), in Chinese or English.

Keys not found here fall back to ``flowpop_tui.i18n`` (one catalog for both tables); code labels come from
the one vocabulary (``flowpop.labels``)."""

from __future__ import annotations

from dataclasses import replace

from flowpop import labels
from flowpop_tui import i18n

UI = labels.Catalog({
    # common keys
    "key_open": ("打开", "Open"),
    "key_yes": ("确定", "Yes"),
    "key_apply": ("执行", "Apply"),
    "key_preview": ("预览", "Preview"),
    "key_select": ("选择", "Select"),
    "key_bulk": ("批量", "Bulk"),
    "failed": ("读取失败：{error}", "could not load: {error}"),
    "percent": ("{value:.1f}%", "{value:.1f}%"),
    "none": ("无", "none"),
    # dashboard
    "dash_inbox": ("信息交换", "Inbox"),
    "dash_inbox_open": ("新到 {new} · 待办 {open}", "new {new} · open {open}"),
    "dash_inbox_due": ("逾期 {overdue} · 今日到期 {due_today}", "overdue {overdue} · due today {due_today}"),
    "dash_outbox": ("待导出 {n}", "to export {n}"),
    "dash_overdue": ("逾期事项", "Overdue"),
    "dash_overdue_none": ("没有逾期事项", "nothing overdue"),
    "dash_overdue_days": ("逾期{n}天", "{n}d late"),
    "dash_inspect": ("清查进度", "Inspection"),
    "dash_inspect_none": ("没有进行中的清查", "no open campaign"),
    "dash_inspect_more": ("…另有 {n} 项清查（按 n 查看）", "…{n} more (press n)"),
    "dash_quality": ("数据质量", "Data quality"),
    "dash_quality_ok": ("{n} 人全部通过检查", "all {n} records pass"),
    "dash_quality_sum": ("{checks} 项检查有问题，共 {n} 处", "{n} problems in {checks} checks"),
    "dash_rates": ("考核指标 {period}", "Rates {period}"),
    "dash_rates_none": ("本季度无数据", "no data this quarter"),
    # inspection
    "insp_no_campaign": ("没有可用的清查（请先用 flowpop inspect create 建立）",
                         "no campaign (create one with flowpop inspect create)"),
    "insp_head": ("{name} · 已查 {done}/{total}", "{name} · {done}/{total} checked"),
    "insp_pending": ("未查", "Pending"),
    "insp_mine": ("我的", "Mine"),
    "insp_village": ("村居", "Village"),
    "insp_progress": ("各村居进度", "By village"),
    "insp_only": ("仅此", "only"),
    "insp_all": ("全部", "all"),
    "insp_status": ("共 {n} 条 · 1 在住 2 更正 3 离开 4 查无 5 缺证", "{n} items · 1 present 2 corrected 3 left "
                                                                         "4 not found 5 no cert"),
    "insp_truncated": ("只显示前 {n} 条；按 v 选村居", "first {n} shown; press v for one village"),
    "insp_recorded": ("已记录：{name} {outcome}", "recorded: {name} {outcome}"),
    "insp_again": ("{name} 已记录为“{outcome}”。重新记录？", "{name} is already recorded as “{outcome}”. Record again?"),
    "insp_house": ("出租屋", "rented house"),
    "insp_closed": ("（已结束）", " (closed)"),
    "key_present": ("在住", "Present"),
    "key_corrected": ("更正", "Corrected"),
    "key_left": ("离开", "Left"),
    "key_not_found": ("查无", "Not found"),
    "key_cert_missing": ("缺证", "No cert"),
    "key_pending": ("未查", "Pending"),
    "key_mine": ("我的", "Mine"),
    "key_village": ("村居", "Village"),
    "key_campaign": ("换清查", "Campaign"),
    "col_who": ("对象", "Who"),
    "col_number": ("证号/房屋", "ID / house"),
    "col_address": ("地址", "Address"),
    "col_outcome": ("结果", "Outcome"),
    "correct_title": ("更正：{name}", "Correct: {name}"),
    "correct_line": ("更正{n}", "Change {n}"),
    "correct_hint": ("字段=值，如 phone=13900000000 或 居住地址=幸福路8号",
                     "field=value, e.g. phone=13900000000 or residence_address=8 Xingfu Rd"),
    "correct_bad_line": ("应为 字段=值", "expected field=value"),
    "correct_bad_field": ("不能更正的字段：{field}", "not a correctable field: {field}"),
    "correct_empty": ("请至少填一项更正", "give at least one correction"),
    "left_title": ("已离开：{name}（将注销）", "Left: {name} (deregisters)"),
    "f_left_on": ("离开日期", "Left on"),
    # quality
    "q_head": ("检查 {n} 人，用时 {s:.1f} 秒", "{n} records checked in {s:.1f}s"),
    "col_check": ("检查项", "Check"),
    "col_count": ("问题数", "Count"),
    "col_fix": ("修复", "Fix"),
    "q_by_county": ("按区县", "By county"),
    "q_persons_title": ("{check}（{n} 人）", "{check} ({n} records)"),
    "q_persons_more": ("只显示前 {n} 人", "first {n} shown"),
    "key_fix": ("修复", "Fix"),
    "q_not_fixable": ("该检查项不能自动修复", "this check has no automatic fix"),
    "q_planning": ("正在生成修复方案…", "planning the fix…"),
    # bulk
    "col_created": ("时间", "When"),
    "col_operation": ("操作", "Operation"),
    "col_reason": ("原因", "Reason"),
    "col_cs_status": ("状态", "Status"),
    "col_counts": ("选中/修改/失败", "Sel/done/fail"),
    "key_revert": ("撤销", "Revert"),
    "key_new_bulk": ("新建", "New"),
    "bulk_none": ("还没有批量变更", "no bulk changes yet"),
    "bulk_title": ("批量变更：{what}", "Bulk change: {what}"),
    "bulk_selected": ("已选 {n} 人", "{n} selected"),
    "bulk_filters": ("当前查询条件：{what}", "current search: {what}"),
    "bulk_all": ("全部（当前辖区）", "everyone in your area"),
    "f_operation": ("操作", "Operation"),
    "f_field": ("字段", "Field"),
    "f_value": ("取值", "Value"),
    "f_reason": ("原因", "Reason"),
    "hint_set": ("新值（代码或名称，空白清除）", "new value (code or label; blank clears)"),
    "hint_deregister": ("注销日期 YYYY-MM-DD，空白为今天", "date YYYY-MM-DD, blank for today"),
    "hint_archive": ("（无需填写）", "(nothing needed)"),
    "hint_move": ("迁往村/居代码（12位）", "village code to move to (12 digits)"),
    "bulk_need_field": ("请选择要修改的字段", "choose the field to set"),
    "bulk_need_place": ("请填写迁往的村/居代码", "give the village to move to"),
    "bulk_planning": ("正在生成预览…", "building the preview…"),
    "preview_title": ("预览：{op}（{reason}）", "Preview: {op} ({reason})"),
    "preview_counts": ("选中 {total} 人 · 无法修改 {failing} 人", "{total} selected · {failing} failing"),
    "preview_applied": ("已修改 {n} 人", "{n} changed"),
    "preview_samples": ("示例（修改前 → 修改后）", "Samples (before → after)"),
    "preview_failures": ("无法修改", "Failing"),
    "preview_skip": ("确认执行？涉及 {todo} 人，跳过无法修改的 {failing} 人",
                     "Apply to {todo} records, skipping the {failing} failing?"),
    "preview_confirm": ("确认执行？涉及 {todo} 人", "Apply to {todo} records?"),
    "preview_nothing": ("没有需要修改的记录", "nothing to change"),
    "applying": ("正在执行… {done}/{total}", "applying… {done}/{total}"),
    "applied": ("已执行：修改 {n} 人", "applied: {n} changed"),
    "applied_failing": ("已执行：修改 {n} 人，未修改 {failing} 人", "applied: {n} changed, {failing} not changed"),
    "no_progress": ("批量变更没有进展，已停止", "the changeset made no progress; stopped"),
    "revert_confirm": ("撤销批量变更“{reason}”（{n} 人）？", "Revert “{reason}” ({n} records)?"),
    "reverted": ("已撤销", "Reverted"),
    "refused_title": ("以下记录在此后被修改，已拒绝：", "These records changed since, so it was refused:"),
    "refused_person": ("人员 {id} {name}：版本 {expected} → {version}", "person {id} {name}: version {expected} → {version}"),
    "refused_stay": ("流动记录 {id}：版本 {expected} → {version}", "stay {id}: version {expected} → {version}"),
    "refused_more": ("…共 {n} 条", "…{n} in all"),
    "search_selected": ("已选 {n} 人 · B 批量", "{n} selected · B bulk"),
}, i18n.UI)

OUTCOMES = labels.LABELS["inspection_outcome"]
OPERATIONS = labels.LABELS["operation"]
CHANGESET_STATUS = labels.LABELS["changeset_status"]


def t(key: str, **values: object) -> str:
    return UI(key, **values)


def coded(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """A code's label from one of the vocabulary's tables above; unknown codes as they are."""
    if code is None:
        return ""
    pair = table.get(code)
    return labels.pick(pair) if pair else code


def translate_bindings(node: object) -> None:
    """As ``i18n.translate_bindings``, for descriptions that are keys of either table."""
    source = type(node)._merged_bindings  # type: ignore[attr-defined]  # textual's private bindings; node is a DOMNode
    if source is None:
        return
    target = node._bindings.key_to_bindings  # type: ignore[attr-defined]  # textual's private bindings; node is a DOMNode
    for key, bindings in source.key_to_bindings.items():
        target[key] = [replace(b, description=UI(b.description)) if b.description in UI else b for b in bindings]
