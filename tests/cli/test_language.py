"""The command line in the user's language: its own errors, and Click's words (Usage:, Missing option,
No such command, Aborted!, Error:) in Chinese when the language is Chinese."""

from __future__ import annotations

import sys

import click
import pytest
from click.testing import CliRunner

from flowpop import labels
from flowpop_cli import clicktext
from tests.cli.runner import Run, invoke


def test_a_registry_error_in_chinese_and_english(run: Run) -> None:
    zh = run("persons", "show", "987654", code=3).stderr
    assert zh.startswith("错误：") and "Error" not in zh
    en = run("--lang", "en", "persons", "show", "987654", code=3).stderr
    assert en.startswith("Error: ") and "错误" not in en
    assert labels.lang() == "zh"  # --lang lasts one invocation


def test_a_refused_edit_in_the_users_language(run: Run, make_person) -> None:
    p = make_person()
    zh = run("persons", "edit", str(p.id), "--set", "phone=12", code=4).stderr
    en = run("--lang", "en", "persons", "edit", str(p.id), "--set", "phone=12", code=4).stderr
    assert zh.startswith("错误：") and en.startswith("Error: ") and "错误" not in en


USAGE_ERRORS = [
    (["persons", "list", "--bogus"], ["用法: flowpop persons list", "运行 'flowpop persons list --help' 查看帮助。",
                                      "错误：没有这个选项：'--bogus'。"],
     ["Usage: flowpop persons list", "Try 'flowpop persons list --help' for help.", "Error: No such option '--bogus'."]),
    (["nosuch"], ["错误：没有这个命令：'nosuch'。"], ["Error: No such command 'nosuch'."]),
    (["users", "add", "wang"], ["错误：缺少选项 '--role'"], ["Error: Missing option '--role'"]),
    (["persons", "list", "--status", "gone"], ["'--status' 的取值无效：'gone' 不在可选值"],
     ["Invalid value for '--status': 'gone' is not one of"]),
]


@pytest.mark.parametrize(("args", "zh", "en"), USAGE_ERRORS)
def test_clicks_usage_errors_in_the_users_language(args: list[str], zh: list[str], en: list[str]) -> None:
    chinese = invoke(args, code=2).stderr
    assert all(text in chinese for text in zh), chinese
    assert "Usage:" not in chinese and "Error:" not in chinese
    english = invoke(args, code=2, env={"FLOWPOP_LANG": "en"}).stderr
    assert all(text in english for text in en), english
    assert "用法" not in english
    if args[0] != "nosuch":  # --lang comes first, so it is read before the subcommand's error
        assert all(text in invoke(["--lang", "en", *args], code=2).stderr for text in en)


def test_help_pages_use_the_language_too() -> None:
    zh = invoke(["persons", "--help"]).stdout
    assert zh.startswith("用法:") and "选项" in zh and "命令" in zh and "显示此帮助并退出" in zh
    en = invoke(["persons", "--help"], env={"FLOWPOP_LANG": "en"}).stdout
    assert en.startswith("Usage:") and "Options" in en and "Commands" in en


def test_aborted_in_chinese() -> None:
    @click.command()
    def ask() -> None:
        click.confirm("继续？", abort=True)

    clicktext.install()
    result = CliRunner().invoke(ask, [], input="n\n", env={"FLOWPOP_LANG": "zh"})
    assert result.exit_code == 1 and "已中止！" in result.output
    result = CliRunner().invoke(ask, [], input="n\n", env={"FLOWPOP_LANG": "en"})
    assert "Aborted!" in result.output


def test_every_click_module_that_translates_is_covered() -> None:
    """Click binds gettext per module: a module a newer Click adds is covered as long as it is loaded."""
    import gettext

    clicktext.install()
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            assert getattr(module, "_", None) is not gettext.gettext, name
            assert getattr(module, "ngettext", None) is not gettext.ngettext, name
    assert gettext.gettext("Usage:") == "Usage:"  # gettext itself, for everyone else, is untouched


def test_a_registry_that_does_not_answer_in_the_users_language() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    where = ["--url", f"http://127.0.0.1:{port}", "--token", "t"]
    zh = invoke([*where, "persons", "list"], code=1).stderr
    assert zh.startswith("错误：无法连接登记系统") and "could not" not in zh
    en = invoke(["--lang", "en", *where, "persons", "list"], code=1).stderr
    assert en.startswith("Error: could not reach the registry") and "无法" not in en
