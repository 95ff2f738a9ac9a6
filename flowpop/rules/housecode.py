"""House codes (房屋编码): one per dwelling, legal or not.

Our format: the 12-digit village code, a 5-digit serial within the village, and an ISO 7064
MOD 11-2 check character (as ID numbers use) — 18 characters, so a mistyped code is caught.
Codes from older systems are kept as ``legacy_code`` beside a generated one.
"""

from __future__ import annotations

import re

from stdnum.iso7064 import mod_11_2

from flowpop.rules.idnumber import normalize

PATTERN = re.compile(r"^\d{17}[\dX]$")


def make(village_code: str, serial: int) -> str:
    body = f"{village_code[:12]}{serial:05d}"
    return body + mod_11_2.calc_check_digit(body)


def check(raw: str) -> tuple[str, tuple[str, str] | None]:
    """(normalised code, None) or (code, reason) — the reason a (Chinese, English) pair."""
    code = normalize(raw)
    if not PATTERN.match(code):
        return code, ("房屋编码应为18位：村居代码12位+序号5位+校验位",
                      "house code must be 18 characters: village 12 + serial 5 + check")
    if mod_11_2.calc_check_digit(code[:17]) != code[17]:
        return code, ("房屋编码校验位错误", "house code check character is wrong")
    return code, None


def village_of(code: str) -> str:
    return code[:12]
