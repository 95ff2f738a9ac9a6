"""Click's "Missing option/argument" sentence ends with a full stop Click adds itself (not a text it passes
through gettext): in Chinese it is 。, in English the ASCII one."""

from __future__ import annotations

import pytest

from tests.cli.runner import invoke


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["users", "add", "wang"], "错误：缺少选项 '--role'。", "Error: Missing option '--role'."),
    (["persons", "show"], "错误：缺少参数 'PERSON_ID'。", "Error: Missing argument 'PERSON_ID'."),
])
def test_a_missing_parameter_ends_as_a_sentence_of_the_language(args: list[str], zh: str, en: str) -> None:
    chinese = invoke(args, code=2).stderr
    assert zh in chinese and "'." not in chinese, chinese
    assert en in invoke(["--lang", "en", *args], code=2).stderr
