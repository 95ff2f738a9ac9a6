"""Name keys for search: full pinyin (``zhangsan``) and initials (``zs``)."""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache

_LATIN = re.compile(r"^[a-z]+$")


def clean_name(raw: str) -> str:
    """NFKC, inner spaces removed for Chinese names, the middle dot unified (维吾尔族姓名)."""
    text = raw or ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    text = text.replace("•", "·").replace("．", "·").replace("・", "·")
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        text = "".join(text.split())
    return text


# Readings of polyphonic characters as surnames (the first character of a name).
SURNAMES = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha", "盖": "ge",
    "乐": "yue", "覃": "qin", "尉": "yu", "召": "shao", "缪": "miao", "翟": "zhai", "秘": "bi", "长": "chang",
    "种": "chong", "员": "yun", "贲": "ben", "黑": "he", "万": "wan", "尧": "yao", "宿": "su", "沈": "shen",
    "重": "chong", "藏": "zang", "俞": "yu", "折": "she", "洗": "xian", "冼": "xian", "阚": "kan", "隗": "wei",
}


@lru_cache(maxsize=65536)
def _char_keys(ch: str) -> tuple[str, str]:
    if "\u3400" <= ch <= "\u9fff":
        # single characters only: skip loading pypinyin's phrase dictionary (half a second at start-up)
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
        from pypinyin import Style, lazy_pinyin

        full = lazy_pinyin(ch, style=Style.NORMAL)[0].lower()
        return full, full[:1]
    low = ch.lower()
    if low.isascii() and low.isalnum():
        return low, low
    return "", ""


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case ASCII."""
    text = clean_name(name)
    parts = [_char_keys(c) for c in text]
    if text and text[0] in SURNAMES:
        full = SURNAMES[text[0]]
        parts[0] = (full, full[0])
    # capped at the store's column sizes (64 characters of 庄 are 384 letters); prefixes need no more
    return "".join(p[0] for p in parts)[:200], "".join(p[1] for p in parts)[:64]


def place_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a place name (沙县区: ``shaxianqu``, ``sxq``): as ``name_keys`` without the
    surname readings (乐山 is leshan)."""
    parts = [_char_keys(c) for c in clean_name(name)]
    return "".join(p[0] for p in parts), "".join(p[1] for p in parts)


def is_pinyin_query(text: str) -> bool:
    return bool(_LATIN.match(text.lower()))
