"""Name keys for search: full pinyin (``zhangsan``) and initials (``zs``)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_LATIN = re.compile(r"^[a-z]+$")


def clean_name(raw: str) -> str:
    """NFKC, inner spaces removed for Chinese names, the middle dot unified (维吾尔族姓名)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = text.replace("•", "·").replace("．", "·").replace("・", "·")
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        text = "".join(text.split())
    return text


@lru_cache(maxsize=65536)
def _char_keys(ch: str) -> tuple[str, str]:
    if "\u3400" <= ch <= "\u9fff":
        full = lazy_pinyin(ch, style=Style.NORMAL)[0].lower()
        return full, full[:1]
    low = ch.lower()
    if low.isascii() and low.isalnum():
        return low, low
    return "", ""


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case ASCII."""
    parts = [_char_keys(c) for c in clean_name(name)]
    return "".join(p[0] for p in parts), "".join(p[1] for p in parts)


def is_pinyin_query(text: str) -> bool:
    return bool(_LATIN.match(text.lower()))
