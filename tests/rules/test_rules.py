"""Pure rules: ID numbers (GB 11643) as properties, pinyin keys, the division list and its files."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowpop.rules import divisions_source as ds
from flowpop.rules import idnumber
from flowpop.rules.names import clean_name, is_pinyin_query, name_keys

TODAY = dt.date(2026, 11, 23)
regions = st.one_of(
    st.sampled_from([r.code[:6] for r in ds.national_counties() if r.level == "county"]),
    st.from_regex(r"\A[1-9][0-9]{5}\Z", fullmatch=True),
)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
orders = st.integers(min_value=0, max_value=999)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


# ------------------------------------------------------------------------------------------ ID numbers


@given(regions, births, orders)
def test_made_numbers_pass_with_their_sex_and_birth_date(region: str, born: dt.date, order: int) -> None:
    number = idnumber.make(region, born, order)
    result = idnumber.check(number, today=TODAY)
    assert result.ok, result.errors
    assert result.number == number and len(number) == 18
    assert result.birth_date == born
    assert result.sex == ("M" if order % 2 else "F")
    assert not result.upgraded_from_15
    assert {code for code, *_ in result.warnings} <= {"id_region_unknown"}


@given(regions, births, orders, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(region: str, born: dt.date, order: int, pos: int, delta: int) -> None:
    number = idnumber.make(region, born, order)
    digit = str((int(number[pos]) + delta) % 10)
    changed = number[:pos] + digit + number[pos + 1:]
    result = idnumber.check(changed, today=TODAY)
    assert not result.ok
    assert {code for code, *_ in result.errors} <= {"id_checksum", "id_birth_date"}


@given(regions, births, orders)
def test_a_wrong_check_character_is_caught(region: str, born: dt.date, order: int) -> None:
    number = idnumber.make(region, born, order)
    for other in "0123456789X":
        if other != number[17]:
            assert [c for c, *_ in idnumber.check(number[:17] + other, today=TODAY).errors] == ["id_checksum"]


@given(regions, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), orders)
def test_fifteen_digit_upgrade_round_trip(region: str, born: dt.date, order: int) -> None:
    full = idnumber.make(region, born, order)
    legacy = full[:6] + full[8:17]
    assert idnumber.upgrade15(legacy) == full
    result = idnumber.check(legacy, today=TODAY)
    assert result.ok and result.upgraded_from_15 and result.number == full
    assert "id_upgraded_15" in {c for c, *_ in result.warnings}
    refused = idnumber.check(legacy, today=TODAY, upgrade=False)
    assert [c for c, *_ in refused.errors] == ["id_15_digits"]


@given(regions, births, orders)
def test_mask_keeps_region_and_last_character(region: str, born: dt.date, order: int) -> None:
    number = idnumber.make(region, born, order)
    masked = idnumber.mask(number)
    assert masked == number[:6] + "*" * 11 + number[-1]
    assert born.strftime("%Y%m%d") not in (masked or "")
    legacy = number[:6] + number[8:17]  # the 15-digit form: region, 2-digit year, month, day, sequence
    assert idnumber.mask(legacy) == number[:6] + "*" * 8 + legacy[-1]


def test_mask_of_short_or_empty_values() -> None:
    assert idnumber.mask(None) is None and idnumber.mask("") == ""
    assert idnumber.mask("12345") == "*****"


@given(regions, births, orders, st.booleans(), st.sampled_from(["", " ", "\u3000", "\t"]))
def test_normalize_handles_full_width_spaces_and_lowercase(
    region: str, born: dt.date, order: int, wide: bool, space: str
) -> None:
    number = idnumber.make(region, born, order)
    typed = (full_width(number) if wide else number).lower()
    typed = space + typed[:6] + space + typed[6:] + space
    assert idnumber.normalize(typed) == number
    assert idnumber.check(typed, today=TODAY).number == number


def test_full_width_digits_are_not_digits_without_normalising() -> None:
    # str.isdigit() says yes to these; the check must not
    assert "１".isdigit()
    assert idnumber.check("ⅰ" * 18, today=TODAY).errors


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_length"),
        ("1234567890123456", "id_length"),
        ("3601021990010112345", "id_length"),
        ("36010219900101123Y", "id_characters"),
        ("3601021990010X1234", "id_characters"),
        ("١٢٣٤٥٦١٩٩٠٠١٠١١٢٣٤", "id_characters"),  # Arabic-Indic digits are digits, not ID characters
    ],
)
def test_malformed_numbers(raw: str, code: str) -> None:
    assert [c for c, *_ in idnumber.check(raw, today=TODAY).errors] == [code]


def test_birth_date_rules() -> None:
    future = idnumber.make("360102", TODAY + dt.timedelta(days=1), 1)
    assert "id_birth_date" in {c for c, *_ in idnumber.check(future, today=TODAY).errors}
    assert idnumber.check(idnumber.make("360102", TODAY, 1), today=TODAY).ok
    leap = "360102" + "20000229" + "001"
    assert idnumber.check(leap + idnumber.check_char(leap), today=TODAY).ok
    not_leap = "360102" + "19000229" + "001"
    assert "id_birth_date" in {c for c, *_ in idnumber.check(not_leap + idnumber.check_char(not_leap)).errors}


def test_region_is_looked_up_including_retired_codes() -> None:
    assert idnumber.region_name("350402") == "梅列区"  # retired in 2021
    assert idnumber.region_name("350404") == "三元区"
    assert idnumber.region_name("379999") is None
    warned = idnumber.check(idnumber.make("379999", dt.date(1980, 1, 1), 1), today=TODAY)
    assert warned.ok and [c for c, *_ in warned.warnings] == ["id_region_unknown"]


def test_known_check_characters() -> None:
    # GB 11643 examples: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check table 1 0 X 9 8 7 6 5 4 3 2
    body = "11010519491231002"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    expected = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    assert idnumber.check_char(body) == expected == "X"


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("张三丰", "zhangsanfeng", "zsf"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("司马光", "simaguang", "smg"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("上官婉儿", "shangguanwaner", "sgwe"),
        ("单雄信", "shanxiongxin", "sxx"),  # 单 as a surname is shan, not dan
        ("曾国藩", "zengguofan", "zgf"),
        ("解缙", "xiejin", "xj"),
        ("区志坚", "ouzhijian", "ozj"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("买买提·艾力", "maimaitiaili", "mmtal"),
        ("买买提•艾力", "maimaitiaili", "mmtal"),
        ("王 小 明", "wangxiaoming", "wxm"),
        ("王\u3000小明", "wangxiaoming", "wxm"),
        ("Anna 王", "annawang", "annaw"),
    ],
)
def test_pinyin_keys(name: str, full: str, initials: str) -> None:
    assert name_keys(name) == (full, initials)


def test_clean_name() -> None:
    assert clean_name("  王 小明 ") == "王小明"
    assert clean_name("买买提・艾力") == "买买提·艾力"
    assert clean_name("Anna  Li") == "Anna  Li"  # Latin names keep their spaces
    assert clean_name("ＡＢＣ") == "ABC"


def test_name_keys_are_capped_for_the_store() -> None:
    full, initials = name_keys("庄" * 64)
    assert full.startswith("zhuangzhuang") and len(full) <= 200 and len(initials) <= 64


@pytest.mark.parametrize(("text", "expected"), [("zhangs", True), ("ZS", True), ("张", False), ("z1", False)])
def test_is_pinyin_query(text: str, expected: bool) -> None:
    assert is_pinyin_query(text) is expected


# ------------------------------------------------------------------------------------------ divisions


def test_national_list_keeps_retired_codes() -> None:
    rows = {r.code: r for r in ds.national_counties()}
    meilie, sanyuan, old_sanyuan = rows["350402000000"], rows["350404000000"], rows["350403000000"]
    assert (meilie.name, meilie.level, meilie.valid_to) == ("梅列区", "county", 2021)
    assert (sanyuan.name, sanyuan.valid_to, sanyuan.valid_from) == ("三元区", None, 2021)
    assert old_sanyuan.name == "三元区" and old_sanyuan.valid_to == 2021
    assert rows["350405000000"].name == "沙县区" and rows["350427000000"].valid_to == 2021
    assert meilie.parent_code == sanyuan.parent_code == "350400000000"
    assert rows["350400000000"].level == "city" and rows["350000000000"].level == "province"
    assert len(rows) == len(ds.national_counties())  # each code once
    assert all(len(code) == 12 for code in rows)


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("350000000000", "province", "35", None),
        ("350400000000", "city", "3504", "350000000000"),
        ("350404000000", "county", "350404", "350400000000"),
        ("350404001000", "township", "350404001", "350404000000"),
        ("350404001001", "village", "350404001001", "350404001000"),
        ("350404001001001", "grid", "350404001001001", "350404001001"),
    ],
)
def test_levels_prefixes_and_parents(code: str, level: str, prefix: str, parent: str | None) -> None:
    assert ds.level_of(code) == level
    assert ds.prefix_of(code) == prefix
    assert ds.parent_of(code, level) == parent


def test_pad12() -> None:
    assert ds.pad12("350404") == "350404000000"
    assert ds.pad12("350404001001001") == "350404001001001"


def test_csv_round_trip_and_encodings() -> None:
    rows = [
        ds.DivisionRow("350404001000", "测试街道甲", "township", "350404000000", 2021, None, None, True),
        ds.DivisionRow("350402001000", "旧街道", "township", "350402000000", 1990, 2021, "350404001000", False),
    ]
    text = ds.write_csv(rows)
    assert list(ds.read_csv(text)) == rows
    assert list(ds.read_csv(text.encode("gb18030"))) == rows
    assert list(ds.read_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))) == rows


def test_csv_fills_in_level_parent_and_padding() -> None:
    got = list(ds.read_csv("code,name\n350404,三元区\n350404001001,甲一社区\n"))
    assert [(r.code, r.level, r.parent_code) for r in got] == [
        ("350404000000", "county", "350400000000"),
        ("350404001001", "village", "350404001000"),
    ]


def test_national_list_from_a_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "loc.dat"  # type: ignore[operator]
    path.write_text('35 province="福建省"\n 0400 county="三明市"\n 0402 county="[1983-2021]梅列区"\n'
                    ' 0404 county="[1983-2021]三元区,[2021-]三元区"\n', encoding="utf-8")
    rows = {r.code: r for r in ds.national_counties(path)}
    assert rows["350402000000"].valid_to == 2021
    assert (rows["350404000000"].valid_from, rows["350404000000"].valid_to) == (2021, None)
    assert rows["350400000000"].level == "city"
