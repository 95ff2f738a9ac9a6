"""What the console says, in Chinese (default) or English (FLOWPOP_LANG=en or the palette's switch).

The console's own phrases are a ``flowpop.labels.Catalog``; field titles and code labels come from the one
vocabulary (``flowpop.labels``), and the language is the one ``flowpop.labels.lang()`` decides."""

from __future__ import annotations

from flowpop import labels
from flowpop.labels import lang as lang  # the language, decided in one place
from flowpop.labels import set_lang as set_lang  # the console's switch chooses it for the whole process

UI = labels.Catalog({
    "title": ("流动人口服务管理", "Floating population registry"),
    "connecting": ("正在连接登记系统…", "Connecting to the registry…"),
    "connect_failed": ("无法打开登记系统：{error}", "Could not open the registry: {error}"),
    "embedded": ("本地登记库", "local registry"),
    "all_areas": ("全部辖区", "all areas"),
    "search_placeholder": ("姓名 / 拼音 / 首字母 / 身份证号（可查看完整号码者可输末几位）",
                           "name / pinyin / initials / ID number (its last digits with the reveal right)"),
    # filters
    "direction": ("方向", "Direction"),
    "status": ("状态", "Status"),
    "key_target": ("重点对象", "Key targets"),
    "all": ("全部", "all"),
    "only": ("仅重点", "only"),
    # search status line
    "loading": ("加载中…", "loading…"),
    "loaded_more": ("已加载 {n} 条 · 下移加载更多", "{n} loaded · move down for more"),
    "loaded_all": ("共 {n} 条", "{n} found"),
    "none_found": ("没有符合条件的人员", "nobody matches"),
    # columns
    "col_name": ("姓名", "Name"),
    "col_id": ("身份证号", "ID number"),
    "col_sex": ("性别", "Sex"),
    "col_birth_year": ("出生年份", "Born"),
    "born_in": ("{year}年生", "born {year}"),
    "aged": ("{age}岁", "aged {age}"),
    "col_category": ("类别", "Category"),
    "col_residence": ("现居住地", "Residence"),
    "col_place": ("现居住地", "Place"),
    "col_arrived": ("流入日期", "Arrived"),
    "col_status": ("状态", "Status"),
    "col_household": ("户籍地", "Household"),
    "col_reason": ("原因", "Reason"),
    "col_period": ("起止", "Period"),
    "col_when": ("时间", "When"),
    "col_who": ("操作人", "Who"),
    "col_action": ("操作", "Action"),
    "col_changes": ("变更内容", "Changes"),
    "col_why": ("原因", "Why"),
    # keys
    "key_filter": ("筛选", "Filter"),
    "key_direction": ("方向", "Direction"),
    "key_status": ("状态", "Status"),
    "key_key_target": ("重点", "Key"),
    "key_quit": ("退出", "Quit"),
    "key_back": ("返回", "Back"),
    "key_edit": ("编辑", "Edit"),
    "key_edit_stay": ("改居住", "Edit stay"),
    "key_reveal": ("显示证号", "Reveal ID"),
    "key_deregister": ("注销", "Deregister"),
    "key_archive": ("退档", "Archive"),
    "key_restore": ("恢复", "Restore"),
    "key_refresh": ("刷新", "Refresh"),
    "key_palette": ("命令", "commands"),
    "key_tab": ("记录/历史", "Stays/history"),
    "key_save": ("保存", "Save"),
    "key_cancel": ("取消", "Cancel"),
    # detail
    "stays": ("流动记录", "Stays"),
    "stay_prefix": ("流动·", "stay · "),
    "op_bulk": ("批量{op}", "bulk {op}"),
    "op_revert": ("撤销批量{op}", "revert bulk {op}"),
    "history": ("变更历史", "History"),
    # form fields: the vocabulary's field titles
    **{f"f_{name}": labels.FIELDS[name] for name in (
        "name", "phone", "marital_status", "education", "household", "household_address", "residence",
        "residence_address", "grid_code", "reason", "expected_return_on", "note", "change_reason")},
    "f_why": ("原因", "Reason"),
    "f_date": ("日期", "Date"),
    "key_target_yes": ("重点服务管理对象", "key service target"),
    "revealed": ("已显示完整证号（已记录查看日志）", "full ID number shown (the access is logged)"),
    "no_open_stay": ("没有在住的流动记录", "No open stay"),
    # forms
    "edit_person": ("编辑人员信息", "Edit person"),
    "edit_stay": ("编辑当前流动记录", "Edit current stay"),
    "deregister_title": ("注销：{name}", "Deregister: {name}"),
    "archive_title": ("退档：{name}", "Archive: {name}"),
    "restore_title": ("恢复：{name}", "Restore: {name}"),
    "saving": ("正在保存…", "saving…"),
    "saved": ("已保存", "Saved"),
    "fix_errors": ("请修正标出的字段", "Please correct the marked fields"),
    "required": ("必填", "is required"),
    "date_placeholder": ("YYYY-MM-DD，空白为今天", "YYYY-MM-DD, blank for today"),
    "bad_date": ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "conflict": ("该记录已被他人修改。重新载入最新数据？（您的修改将丢失）",
                 "Someone else changed this record. Reload the latest data? (your edits will be lost)"),
    "reload": ("重新载入", "Reload"),
    "reloaded": ("已载入最新数据", "Latest data loaded"),
    "nothing_changed": ("没有修改", "Nothing changed"),
    # palette
    "cmd_lang": ("切换语言 / Switch language", "切换语言 / Switch language"),
    "cmd_lang_help": ("中文 ⇄ English", "中文 ⇄ English"),
    "cmd_refresh": ("刷新查询结果 / Refresh search", "Refresh search / 刷新查询结果"),
    "cmd_refresh_help": ("重新查询当前条件", "Run the current search again"),
    "cmd_key_targets": ("只看重点对象 / Key targets only", "Key targets only / 只看重点对象"),
    "cmd_key_targets_help": ("切换重点服务管理对象筛选", "Toggle the key service target filter"),
    # ---- inbox, houses, employers (flowpop_tui.inbox, inbox_message, inbox_actions, places, listing)
    "nav_inbox": ("收件箱", "Inbox"),
    "nav_houses": ("房屋", "Houses"),
    "nav_employers": ("用人单位", "Employers"),
    "nav_persons": ("人员查询", "Persons"),
    "picker_placeholder": ("输入名称查找", "type a name to search"),
    "picker_where": ("当前：{where}（→ 下级  ← 上级  回车选定）", "in: {where} (→ parts  ← up  Enter picks)"),
    "picker_division": ("选择区划", "Choose a division"),
    "key_parts": ("下级", "Parts"),
    "key_up": ("上级", "Up"),
    "key_division": ("区划", "Division"),
    "division": ("区划", "Division"),
    "nav_dashboard": ("今日概览", "Today"),
    "nav_late": ("逾期未申报", "Late declarations"),
    "nav_inspection": ("季度清查", "Inspection"),
    "nav_quality": ("数据质量", "Data quality"),
    "nav_bulk": ("批量变更", "Bulk changes"),
    "cmd_dashboard_help": ("收件箱、逾期事项、清查进度、数据质量、考核指标", "Inbox, overdue items, inspection, quality, rates"),
    "cmd_inspection_help": ("逐户记录清查结果，各村居进度", "Record outcomes door to door; progress by village"),
    "cmd_quality_help": ("检查项 → 人数 → 人员；自动修复", "Check → count → people; automatic fixes"),
    "cmd_bulk_help": ("批量变更：预览、执行、撤销", "Bulk changes: preview, apply, revert"),
    "cmd_place_help": ("{level} · 在此区域查找人员", "{level} · find people in this area"),
    "key_help": ("全部按键", "All keys"),
    "key_close_help": ("关闭", "Close"),
    "help_title": ("本屏按键", "Keys on this screen"),
    "help_close": ("Esc 关闭", "Esc closes"),
    "cmd_inbox_help": ("协查、通报、移交：按截止日期办理", "Requests, notifications, transfers by due date"),
    "cmd_houses_help": ("按房屋编码、地址或房东查找；逐间查看住户", "Find by code, address or landlord; who lives in each room"),
    "cmd_late_help": ("房东逾期或未申报的租住人员及罚款", "Tenants declared late or not at all, with the penalty"),
    "cmd_employers_help": ("流动人员数、责任书签订情况、职工名册", "Floating workers, agreements, rosters"),
    "cmd_persons_help": ("按姓名、拼音或身份证号查找人员", "Find people by name, pinyin or ID number"),
    "inbox_placeholder": ("对象姓名 / 身份证号", "name / ID number"),
    "kind": ("类型", "Kind"),
    "overdue": ("逾期", "Overdue"),
    "only_overdue": ("仅逾期", "only"),
    "status_open": ("未办结", "open"),
    "count_new": ("新到", "new"),
    "count_open": ("未办结", "open"),
    "count_overdue": ("逾期", "overdue"),
    "count_due_today": ("今日到期", "due today"),
    "count_outbox": ("待发外地", "outbox waiting"),
    "n_selected": ("已选 {n} 条", "{n} selected"),
    "acknowledged_all": ("已接收 {done} 条", "{done} acknowledged"),
    "acknowledged": ("已接收 {done} 条，跳过 {skipped} 条", "{done} acknowledged, {skipped} skipped"),
    "step_done": ("{name}：{status}", "{name}: {status}"),
    "overdue_mark": ("逾期", "late"),
    "late_days": ("逾期{n}天", "{n}d late"),
    "accountable": ("责任方：{side}", "accountable: {side}"),
    "col_sel": ("", ""),
    "col_kind": ("类型", "Kind"),
    "col_topic": ("事项", "Topic"),
    "col_subject": ("对象", "Name"),
    "col_from": ("发件单位", "From"),
    "col_to": ("收件单位", "To"),
    "col_due": ("截止", "Due"),
    "col_left": ("剩余", "Left"),
    "col_msg_status": ("状态", "Status"),
    "col_sent": ("发出时间", "Sent"),
    "col_same": ("", ""),
    "col_item": ("项目", "Item"),
    "col_in_message": ("来件所述", "In the message"),
    "col_local": ("本地记录", "Local record"),
    "col_score": ("匹配", "Score"),
    "col_basis": ("依据", "Basis"),
    "compare_title": ("来件与本地记录比对（≠ 为不一致）", "Message against the local record (≠ differs)"),
    "candidates_title": ("候选人员（按匹配分；回车配对）", "Candidates by score (Enter matches)"),
    "no_candidates": ("没有候选人员（可按 m 输入人员编号配对）", "No candidates (m to match by person number)"),
    "thread_title": ("往来消息", "Conversation"),
    "not_matched": ("尚未配对本地记录", "not matched to a local record"),
    "from": ("发件", "From"),
    "to": ("收件", "To"),
    "sent": ("发出", "Sent"),
    "due": ("截止", "Due"),
    "due_provisional": ("（暂定：该年节假日未载入）", " (provisional: that year's holidays not loaded)"),
    "items": ("事项", "Items"),
    "outcome": ("办理结果", "Outcome"),
    "key_read": ("已读", "Read"),
    "key_match": ("配对", "Match"),
    "key_verify": ("核实", "Verify"),
    "key_reply": ("反馈", "Reply"),
    "key_accept": ("接收", "Accept"),
    "key_refuse": ("拒绝", "Refuse"),
    "key_forward": ("转办", "Forward"),
    "key_return": ("退回", "Return"),
    "key_escalate": ("上报", "Escalate"),
    "key_close": ("办结", "Close"),
    "key_sheet": ("核实表", "Sheet"),
    "key_resolve": ("答复查无", "Resolve"),
    "key_select": ("选择", "Select"),
    "key_select_all": ("全选通报", "All notices"),
    "key_kind": ("类型", "Kind"),
    "key_overdue": ("逾期", "Overdue"),
    "key_msg_status": ("状态", "Status"),
    "key_open_person": ("本地记录", "Local record"),
    "title_match": ("配对本地记录", "Match to a local record"),
    "title_reply": ("协查反馈", "Reply"),
    "title_refuse": ("拒绝移交", "Refuse the transfer"),
    "title_return": ("退回", "Return"),
    "title_escalate": ("上报县级", "Escalate to the county"),
    "title_forward": ("转办", "Forward"),
    "title_resolve": ("答复查无此人", "Answer the not-found"),
    "f_outcome": ("核实结果", "Outcome"),
    "f_new_residence": ("新现居住地", "New residence"),
    "f_new_address": ("新现居住地址", "New address"),
    "resolve_date_hint": ("返乡或迁往新地的日期（默认今天）", "the day (default today)"),
    "new_residence_hint": ("已迁往他处时填写；F6 从区划中选", "when moved; F6 picks one"),
    "f_candidate": ("候选人员", "Candidate"),
    "f_person_id": ("或人员编号", "or person no."),
    "person_id_hint": ("不在候选中时填写", "when not among the candidates"),
    "not_a_number": ("应为数字", "must be a number"),
    "score": ("匹配分", "score"),
    "f_to_code": ("转给（区划代码）", "To (division code)"),
    "to_code_hint": ("本辖区内的村居或乡镇代码；F6 从区划中选", "a village or township within your area; F6 picks one"),
    "f_facts": ("核实结果", "Verified facts"),
    "facts_hint": ("每行一项：事项=结果", "one per line: item=result"),
    "f_text": ("附言", "Note"),
    "confirm_send": ("发出{step}：{what} → {to}", "Send {step}: {what} → {to}"),
    "confirm_accept": ("接收移交：{what}（来自 {sender}）？接收后本地登记并通知对方。",
                       "Accept the transfer: {what} (from {sender})? It is registered here and the sender told."),
    "confirm_ack": ("接收 {n} 条通报/反馈？", "Acknowledge {n} notifications and replies?"),
    "key_send": ("发出", "Send"),
    "facts_count": ("核实结果 {n} 项：", "{n} verified facts:"),
    "no_facts": ("（无核实结果）", "(no facts)"),
    "facts_missing": ("来件要求核实 {total} 项，缺 {n} 项：{which}", "{n} of the {total} asked facts missing: {which}"),
    "bad_fact_line": ("应写成“事项=结果”：{line}", "write it as item=result: {line}"),
    "sheet_saved": ("核实表已保存：{path}", "Verification sheet saved: {path}"),
    "file_saved": ("已保存：{path}", "Saved: {path}"),
    "cannot_write": ("无法写入 {path}：{error}", "Cannot write {path}: {error}"),
    "house_placeholder": ("房屋编码 / 地址 / 房东姓名", "house code / address / landlord"),
    "employer_placeholder": ("单位名称 / 统一社会信用代码", "employer name / credit code"),
    "vacant": ("空置出租房", "Vacant rentals"),
    "over_capacity": ("超员", "Over capacity"),
    "needs_agreement": ("需签责任书", "Needs agreement"),
    "key_late": ("逾期申报", "Late"),
    "key_vacant": ("空置", "Vacant"),
    "key_over": ("超员", "Over"),
    "key_notice": ("告知书", "Notice"),
    "key_save_file": ("存为文件", "Save to file"),
    "key_needs_agreement": ("需签责任书", "Needs agreement"),
    "col_house_code": ("房屋编码", "House code"),
    "col_address": ("地址", "Address"),
    "col_village": ("所在村居", "Village"),
    "col_use": ("用途", "Use"),
    "col_occupants": ("居住", "Living"),
    "col_landlord": ("房东", "Landlord"),
    "col_room": ("房间", "Room"),
    "col_occ_kind": ("关系", "Relation"),
    "col_declared_where": ("申报 / 现在何处", "Declared / where now"),
    "col_declare_due": ("应申报日", "Due"),
    "col_declared_on": ("申报日期", "Declared"),
    "col_state": ("情况", "State"),
    "col_penalty": ("罚款", "Yuan"),
    "col_employer": ("单位名称", "Employer"),
    "col_uscc": ("统一社会信用代码", "Credit code"),
    "col_division": ("所在地", "Area"),
    "col_workers": ("流动人员", "Workers"),
    "col_agreement": ("责任书", "Agreement"),
    "mode": ("管理模式", "Mode"),
    "address": ("地址", "Address"),
    "contact": ("联系人", "Contact"),
    "occ_living": ("居住", "living"),
    "occ_hukou": ("户籍", "hukou"),
    "declared_on": ("已申报 {day}", "declared {day}"),
    "undeclared": ("未申报", "undeclared"),
    "declared_late": ("逾期申报", "late"),
    "now_at": ("现居 {place}", "now {place}"),
    "where_unknown": ("去向不详", "whereabouts unknown"),
    "occupancy": ("居住 {n} 人 / 核定 {cap} 人", "{n} living / capacity {cap}"),
    "occupancy_open": ("居住 {n} 人（未核定人数）", "{n} living (no capacity set)"),
    "house_counts": ("居住 {living} 人 · 户籍在此 {registered} 人", "{living} living · {registered} registered here"),
    "late_help": ("回车：查看房屋   t：房东告知书", "Enter: the house   t: landlord notice"),
    "late_counts": ("共 {n} 人 · 未申报 {missing} 人 · 罚款合计 {yuan} 元",
                    "{n} tenants · {missing} undeclared · penalties {yuan} yuan"),
    "none_late": ("没有逾期或未申报的租住人员", "No late or missing declarations"),
    "unsigned": ("未签", "unsigned"),
    "agreement_needed": ("（10人以上，应签责任书）", " (10 or more: an agreement is due)"),
    "narrow_query": ("仅显示前 1000 个，请缩小查询", "only the first 1000: narrow the query"),
    # ---- operations screens (dashboard, inspection, quality, bulk changes)
    # common keys
    "key_open": ("打开", "Open"),
    "key_yes": ("确定", "Yes"),
    "key_apply": ("执行", "Apply"),
    "key_preview": ("预览", "Preview"),
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
    "dash_inspect": ("清查进度", "Inspection"),
    "dash_inspect_none": ("没有进行中的清查", "no open campaign"),
    "dash_inspect_more": ("…另有 {n} 项清查（按 n 查看）", "…{n} more (press n)"),
    "dash_quality": ("数据质量", "Data quality"),
    "dash_quality_ok": ("{n} 人全部通过检查", "all {n} records pass"),
    "dash_quality_sum": ("{checks} 项检查有问题，共 {n} 处", "{n} problems in {checks} checks"),
    "dash_rates": ("考核指标 {period}", "Rates {period}"),
    "dash_rates_none": ("本季度无数据", "no data this quarter"),
    # 共管 on the rates panel's bottom border (its body is full at 80×24): each side's registrations, gap, 漏管
    "dash_coman": ("共管 流入{inflows} 流出{outflows} 差{gap} 漏管{unmanaged}≤{target}",
                   "in {inflows} out {outflows} gap {gap} unmanaged {unmanaged}≤{target}"),
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
    "col_insp_who": ("对象", "Who"),
    "col_number": ("证号/房屋", "ID / house"),
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
    "q_head": ("检查 {n} 人", "{n} records checked"),
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
    "hint_deregister": ("人员离开的日期 YYYY-MM-DD（必填）", "the day the people left, YYYY-MM-DD (required)"),
    "hint_archive": ("（无需填写）", "(nothing needed)"),
    "hint_move": ("迁往村/居代码（12位）；F6 从区划中选", "village code to move to (12 digits); F6 picks one"),
    "bulk_need_field": ("请选择要修改的字段", "choose the field to set"),
    "bulk_need_place": ("请填写迁往的村/居代码", "give the village to move to"),
    "bulk_need_date": ("请填写人员离开的日期（YYYY-MM-DD）", "give the day the people left (YYYY-MM-DD)"),
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
})

ACTIONS = labels.LABELS["action"]
# Field names in history entries and error documents → what a user reads (the one vocabulary)
FIELDS = labels.FIELDS
# Which label kind translates a field's stored code
FIELD_KINDS = {name: kind for name, kind in labels.CODED.items() if name in
               ("sex", "education", "hukou_type", "marital_status", "category", "reason")}


def colon() -> str:
    return labels.t("：", ": ")


def paren(text: str) -> str:
    return labels.t(f"（{text}）", f" ({text})")


def t(key: str, **values: object) -> str:
    return UI(key, **values)


def action_name(action: str) -> str:
    return labels.label("action", action)


def field_name(field: str) -> str:
    return labels.title(field)


def label(kind: str, code: str | None) -> str:
    return labels.label(kind, code)


def message(err: object) -> str:
    """The user's-language message of a FieldError or an APIStatusError."""
    return labels.message(err)


def translate_bindings(node: object) -> None:
    """Binding descriptions are written as UI keys. Textual copies a class's bindings into each
    instance (``_bindings``) when it is created: translate that copy, so the language is the one
    in force when the screen opens (and after a switch)."""
    from dataclasses import replace

    source = type(node)._merged_bindings  # type: ignore[attr-defined]  # textual's private bindings; node is a DOMNode
    if source is None:
        return
    target = node._bindings.key_to_bindings  # type: ignore[attr-defined]  # textual's private bindings; node is a DOMNode
    for key, bindings in source.key_to_bindings.items():
        target[key] = [replace(b, description=UI(b.description)) if b.description in UI else b for b in bindings]


def error_text(exc: BaseException) -> str:
    """An SDK error as the user reads it (with one line per field error), else the exception text."""
    localized = getattr(exc, "localized", None)
    if callable(localized):
        return str(localized(lang()))
    return str(exc) or type(exc).__name__


# ---- inbox, houses, employers

KIND_SHORT = labels.LABELS["message_kind_short"]
MATCH_REASONS = labels.LABELS["match_basis"]
SIDES = labels.LABELS["accountable_side"]
OUTCOMES = labels.LABELS["message_outcome"]
# What the keys of a message's items are called (written by the registry and by senders): field titles
ITEMS = {key: labels.FIELDS[key] for key in (
    "verify", "arrived_on", "returned_on", "reason", "from_residence_code", "to_residence_code", "residence_address",
    "service", "provided_on", "number", "verified_on", "checked_on", "residence_code", "transfer", "outcome")}
ITEM_KINDS = {"reason": "reason", "service": "service"}


def kind_short(kind: str | None) -> str:
    """A message kind in a narrow column."""
    return labels.label("message_kind_short", kind)


def match_reason(reason: str) -> str:
    return labels.label("match_basis", reason)


def side_name(side: str) -> str:
    return labels.label("accountable_side", side)


def outcome_name(outcome: str) -> str:
    return labels.label("message_outcome", outcome)


def item_name(key: str) -> str:
    return labels.title(key) if key in ITEMS else key


def step_done(m: object) -> str:
    """'张三：已读' — whom a step was about and where the message stands now."""
    subject = getattr(m, "subject", {}) or {}
    return t("step_done", name=subject.get("name") or f"#{getattr(m, 'id', '')}",
             status=label("message_status", getattr(m, "status", "")))
