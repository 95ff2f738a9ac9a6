"""What the console says, in Chinese (default) or English (FLOWPOP_LANG=en or the palette's switch)."""

from __future__ import annotations

from flowpop import labels

_current: str | None = None

UI: dict[str, tuple[str, str]] = {
    "title": ("流动人口服务管理", "Floating population registry"),
    "connecting": ("正在连接登记系统…", "Connecting to the registry…"),
    "connect_failed": ("无法打开登记系统：{error}", "Could not open the registry: {error}"),
    "embedded": ("本地登记库", "local registry"),
    "all_areas": ("全部辖区", "all areas"),
    "search_placeholder": ("姓名 / 拼音 / 首字母 / 身份证号（或末几位）", "name / pinyin / initials / ID number (or its last digits)"),
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
    "col_age": ("年龄", "Age"),
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
    "history": ("变更历史", "History"),
    "f_name": ("姓名", "Name"),
    "f_phone": ("联系电话", "Phone"),
    "f_marital_status": ("婚姻状况", "Marital status"),
    "f_education": ("文化程度", "Education"),
    "f_household": ("户籍地", "Household"),
    "f_household_address": ("户籍地址", "Household address"),
    "f_residence": ("现居住地", "Residence"),
    "f_residence_address": ("居住地址", "Residence address"),
    "f_grid_code": ("网格代码", "Grid code"),
    "f_reason": ("流动原因", "Reason"),
    "f_expected_return_on": ("预计返回", "Expected return"),
    "f_note": ("备注", "Note"),
    "f_change_reason": ("修改原因", "Reason for change"),
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
}

ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("新建", "created"), "update": ("修改", "updated"), "deregister": ("注销", "deregistered"),
    "archive": ("退档", "archived"), "restore": ("恢复", "restored"), "close": ("结束", "closed"),
}

# Field names in history entries and error documents → what a user reads
FIELDS: dict[str, tuple[str, str]] = {
    "id_number": ("身份证号", "ID number"),
    "name": ("姓名", "name"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "born"),
    "ethnicity": ("民族", "ethnicity"),
    "education": ("文化程度", "education"),
    "hukou_type": ("户口性质", "hukou type"),
    "marital_status": ("婚姻状况", "marital status"),
    "category": ("类别", "category"),
    "phone": ("电话", "phone"),
    "household_code": ("户籍地", "household"),
    "household_address": ("户籍地址", "household address"),
    "residence_code": ("现居住地", "residence"),
    "residence_address": ("居住地址", "residence address"),
    "grid_code": ("网格", "grid"),
    "house_code": ("房屋编码", "house code"),
    "room": ("房间", "room"),
    "reason": ("原因", "reason"),
    "left_home_on": ("流出日期", "left home"),
    "arrived_on": ("流入日期", "arrived"),
    "expected_return_on": ("预计返回", "expected return"),
    "returned_on": ("返回日期", "returned"),
    "occupation": ("职业", "occupation"),
    "employer": ("工作单位", "employer"),
    "status": ("状态", "status"),
    "note": ("备注", "note"),
    "date": ("日期", "date"),
}

# Which label kind translates a field's stored code
FIELD_KINDS = {"sex": "sex", "education": "education", "hukou_type": "hukou_type", "marital_status": "marital_status",
               "category": "category", "reason": "reason"}


def lang() -> str:
    return _current or labels.lang()


def set_lang(value: str | None) -> None:
    """Switch the console's language; None goes back to FLOWPOP_LANG."""
    global _current
    _current = None if value is None else ("en" if value.startswith("en") else "zh")


def colon() -> str:
    return ": " if lang() == "en" else "："


def paren(text: str) -> str:
    return f" ({text})" if lang() == "en" else f"（{text}）"


def t(key: str, **values: object) -> str:
    zh, en = UI[key]
    text = en if lang() == "en" else zh
    return text.format(**values) if values else text


def action_name(action: str) -> str:
    pair = ACTIONS.get(action)
    if pair is None:
        return action
    return pair[1] if lang() == "en" else pair[0]


def field_name(field: str) -> str:
    pair = FIELDS.get(field)
    if pair is None:
        return field
    return pair[1] if lang() == "en" else pair[0]


def label(kind: str, code: str | None) -> str:
    return labels.label(kind, code, lang())


def message(err: object) -> str:
    """The user's-language message of a FieldError or an APIStatusError."""
    if lang() == "en":
        return str(getattr(err, "message_en", "") or getattr(err, "message", "") or err)
    return str(getattr(err, "message", "") or err)


def translate_bindings(node: object) -> None:
    """Binding descriptions are written as UI keys. Textual copies a class's bindings into each
    instance (``_bindings``) when it is created: translate that copy, so the language is the one
    in force when the screen opens (and after a switch)."""
    from dataclasses import replace

    source = type(node)._merged_bindings  # type: ignore[attr-defined]
    if source is None:
        return
    target = node._bindings.key_to_bindings  # type: ignore[attr-defined]
    for key, bindings in source.key_to_bindings.items():
        target[key] = [replace(b, description=t(b.description)) if b.description in UI else b for b in bindings]


def error_text(exc: BaseException) -> str:
    """An SDK error as the user reads it (with one line per field error), else the exception text."""
    localized = getattr(exc, "localized", None)
    if callable(localized):
        return str(localized(lang()))
    return str(exc) or type(exc).__name__
