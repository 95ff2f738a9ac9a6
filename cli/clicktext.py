"""Click's own words (Usage:, Missing option, No such command, Aborted!, Error: …) in the user's language.

Click passes every text it prints through ``gettext``/``ngettext``, which each of its modules imports
by name (``from gettext import gettext as _``). ``install()`` points those names, in whichever Click
modules are loaded, at a lookup in the catalog below; texts it does not know (a newer Click's) stay in
English. No locale files and no global ``textdomain``: other gettext users are not touched.
"""

from __future__ import annotations

import gettext
import sys

import click

from flowpop.labels import lang

# Click's msgid → Chinese
ZH: dict[str, str] = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Aborted!": "已中止！",
    "Missing option": "缺少选项",
    "Missing argument": "缺少参数",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有这个命令：{name!r}。",
    "No such option {name!r}.": "没有这个选项：{name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带取值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个取值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个取值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Did you mean {possibility}?": "您是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（您是否要输入其中之一：{possibilities}？）",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选值 {choices} 之中。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 之内。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats} 中的任何一种。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个目录。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "integer": "整数",
    "float": "数字",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Do you want to continue?": "是否继续？",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "deprecated": "已弃用",
    # the help and version options' own help: bilingual, as every option's help is
    "Show this message and exit.": "显示此帮助并退出 / show this message and exit",
    "Show the version and exit.": "显示版本并退出 / show the version and exit",
}
# option help is read once, when Click builds the option: it is bilingual in either language
BILINGUAL = frozenset({"Show this message and exit.", "Show the version and exit."})


def translate(message: str) -> str:
    if message in BILINGUAL or lang() == "zh":
        return ZH.get(message, message)
    return message


def translate_plural(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


_click_missing_message = click.exceptions.MissingParameter.format_message


def missing_message(self: click.exceptions.MissingParameter) -> str:
    """Click's "Missing option '--x'." ends with a full stop of its own, outside gettext: a Chinese sentence
    ends with 。 The first full stop is that one (the words before it name parameters, which hold none)."""
    text = _click_missing_message(self)
    head, stop, rest = text.partition(".")
    return f"{head}。{rest.lstrip(' ')}" if stop and lang() == "zh" else text


def install() -> None:
    """Point the gettext names of every loaded Click module at ``translate``, and Click's missing-parameter
    sentence at ``missing_message`` (idempotent)."""
    setattr(click.exceptions.MissingParameter, "format_message", missing_message)  # noqa: B010  (Click's method)
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "click" or name.startswith("click.")):
            continue
        if getattr(module, "_", None) in (gettext.gettext, translate):
            setattr(module, "_", translate)  # noqa: B010  (Click's modules bind gettext as `_`)
        if getattr(module, "ngettext", None) in (gettext.ngettext, translate_plural):
            setattr(module, "ngettext", translate_plural)  # noqa: B010
