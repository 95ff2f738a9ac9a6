"""Checking legacy person rows with the registry's rules: cleaning the cells, the ID number, names,
places, dates and codes. Pure work on a small picklable context, so that a large import can spread it
over worker processes while the registry writes."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from typing import Any

from flowpop.labels import code_for, label
from flowpop.registry.kernel import area
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.validation import LANDLINE, MOBILE, category
from flowpop.registry.people import sides
from flowpop.rules import idnumber, legacy
from flowpop.rules.divisions_source import pad12
from flowpop.rules.names import clean_name, name_keys
from flowpop.types import ImportProblem

PERSON_FIELDS = ("name", "ethnicity", "education", "hukou_type", "marital_status", "phone", "household_code",
                 "household_address", "note")
STAY_FIELDS = ("residence_code", "residence_address", "grid_code", "house_code", "room", "reason", "left_home_on",
               "arrived_on", "expected_return_on", "occupation", "employer")
PLAIN_PERSON_FIELDS = frozenset(("ethnicity", "household_address", "note"))
ENUMS = {"education": "education", "hukou_type": "hukou_type", "marital_status": "marital_status", "reason": "reason"}
LIMITS = {"name": 64, "ethnicity": 20, "household_address": 200, "residence_address": 200, "occupation": 50,
          "employer": 100, "room": 20, "note": 1000, "house_code": 32}
Checked = tuple["Row | None", list[ImportProblem]]
# what check_row's loop over the cells does with each field: its length limit, its code list, kept as given
_READ = {key: (LIMITS.get(key), ENUMS.get(key), key in PLAIN_PERSON_FIELDS)
         for key in (*LIMITS, *ENUMS, *PLAIN_PERSON_FIELDS)}
# ID number → the stored person a row with that number would update, and its open stay
Stored = dict[str, tuple[dict[str, Any], "dict[str, Any] | None"]]


class Row:
    """A good row: the person and stay it describes, and a digest of its cleaned cells (to tell an exact
    duplicate line from a different one with the same ID number). ``same``: the row repeats what is
    stored (``same_as_stored``), so it carries only its line, number and digest. ``notes``: what the import
    reports about a row it keeps (a residence inside the own area above village level)."""

    __slots__ = ("line", "person", "stay", "number", "warnings", "digest", "same", "notes")

    def __init__(self, line: int) -> None:
        self.line = line
        self.person: dict[str, Any] = {}
        self.stay: dict[str, Any] = {}
        self.number = ""
        self.warnings: list[dict[str, str]] = []
        self.digest = b""
        self.same = False
        self.notes: list[ImportProblem] = []

    def __reduce__(self) -> tuple[Any, ...]:
        # a large import's checked rows travel from helper processes: one call per row to rebuild it, not a
        # setattr per slot (a third of the unpickling)
        return _row, (self.line, self.person, self.stay, self.number, self.warnings, self.digest, self.same,
                      self.notes)


def _row(line: int, person: dict[str, Any], stay: dict[str, Any], number: str, warnings: list[dict[str, str]],
         digest: bytes, same: bool, notes: list[ImportProblem]) -> Row:
    row = Row.__new__(Row)
    row.line, row.person, row.stay, row.number, row.warnings, row.digest, row.same, row.notes = (
        line, person, stay, number, warnings, digest, same, notes)
    return row


@dataclass
class Context:
    """What checking needs, and nothing that cannot travel to a worker process: the division tree as
    code → level and full name → code, the caller, today, which column holds which field, and the own area
    (``area.own_area``: the prefixes held down to villages)."""

    levels: dict[str, str]
    by_name: dict[str, str]
    actor: Actor
    day: dt.date
    columns: list[tuple[int, str]]
    own: tuple[str, ...] = ()

    def resolve(self, text: str) -> str | None:
        """A division code (6 or 12 digits) or full name (江西省南昌市东湖区) to its code."""
        try:
            return self._resolved[text]
        except AttributeError:
            self._resolved: dict[str, str | None] = {}
        except KeyError:
            pass
        found = self._resolve(text)
        if len(self._resolved) < 65536:
            self._resolved[text] = found
        return found

    def fault(self, code: str) -> str | None:
        """``area.place_fault`` of a residence code, once per code."""
        try:
            return self._faults[code]
        except AttributeError:
            self._faults: dict[str, str | None] = {}
        except KeyError:
            pass
        found = area.place_fault(self.own, self.levels.get, code)
        if len(self._faults) < 65536:
            self._faults[code] = found
        return found

    def _resolve(self, text: str) -> str | None:
        compact = text.replace(" ", "")
        if compact.isascii() and compact.isdigit():
            code = pad12(compact) if len(compact) == 6 else compact
            known = code in self.levels  # or a finer code of a county outside the own area (area.place_fault)
            return code if known or area.place_fault(self.own, self.levels.get, code, village=False) is None else None
        return self.by_name.get(compact)


_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # GB 11643's check character weights
_DIGITS = frozenset("0123456789")


@lru_cache(maxsize=65536)
def _born(text: str) -> dt.date | None:
    """The birth date an ID number's YYYYMMDD holds, or None (a few tens of thousands of distinct days)."""
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def check_id(raw: str, day: dt.date) -> idnumber.IdCheck:
    """``idnumber.check`` with a fast path for what nearly every row holds, a plain 18-character number that
    passes (the same answer, a fifth of the work); anything else goes to ``idnumber.check`` itself."""
    if len(raw) == 18 and raw.isascii() and _DIGITS.issuperset(raw[:17]):
        born = _born(raw[6:14])
        last = raw[17]
        if (born is not None and born.year >= 1880 and born <= day
                and "10X98765432"[sum(map(mul, map(int, raw[:17]), _WEIGHTS)) % 11] == last
                and idnumber.region_name(raw[:6]) is not None):
            return idnumber.IdCheck(number=raw, birth_date=born, sex="M" if int(raw[16]) % 2 else "F")
    return idnumber.check(raw, today=day)


@lru_cache(maxsize=1 << 17)
def _name_keys(name: str) -> tuple[str, str]:
    return name_keys(name)


@lru_cache(maxsize=1 << 17)
def _clean_name(name: str) -> str:
    return clean_name(name)


@lru_cache(maxsize=4096)
def _code_for(kind: str, text: str) -> str | None:
    return code_for(kind, text)


@lru_cache(maxsize=1 << 16)
def _clean(text: str) -> str:
    return legacy.clean(text)


def _parse_date(value: str) -> dt.date:
    return legacy.parse_date_text(value) if type(value) is str else legacy.parse_date(value)


def problem(line: int, column: str, value: object, zh: str, en: str) -> ImportProblem:
    return ImportProblem(line=line, column=column, value=str(value)[:100], reason=zh, reason_en=en)


def check_row(ctx: Context, line: int, values: dict[str, str]) -> tuple[Row | None, list[ImportProblem]]:
    """One row against the registry's rules: the row to store, or the problems that refuse it."""
    day, actor = ctx.day, ctx.actor
    row = Row(line)
    problems: list[ImportProblem] = []

    def bad(column: str, zh: str, en: str) -> None:
        problems.append(problem(line, column, values.get(column, ""), zh, en))

    raw_id = values.get("id_number", "")
    if not raw_id:
        bad("id_number", "身份证号为空", "ID number is empty")
    else:
        check = check_id(raw_id, day)
        if not check.ok and legacy.EXCEL_NUMBER.fullmatch(raw_id):
            bad("id_number", *legacy.STORED_AS_NUMBER)
        elif not check.ok:
            bad("id_number", check.errors[0][1], check.errors[0][2])
        else:
            row.number = check.number
            row.person.update(id_number=check.number, id_rev=check.number[::-1], sex=check.sex, birth_date=check.birth_date)
            row.warnings = [{"code": c, "message": zh, "message_en": en, "field": "id_number"} for c, zh, en in check.warnings]
            sex = values.get("sex")
            if sex and _SEX.get(sex.upper() if sex.isascii() else sex) != check.sex:
                bad("sex", "性别与身份证号码不符", "sex disagrees with the ID number")
            if values.get("birth_date"):
                try:
                    if _parse_date(values["birth_date"]) != check.birth_date:
                        bad("birth_date", "出生日期与身份证号码不符", "birth date disagrees with the ID number")
                except legacy.DateError as exc:
                    bad("birth_date", exc.zh, exc.en)
    name = _clean_name(values.get("name", ""))
    if not name:
        bad("name", "姓名为空", "name is empty")
    row.person["name"] = name
    person = row.person
    for key, value in values.items():
        if not value:
            continue
        read = _READ.get(key)
        if read is None:
            continue
        limit, kind, plain = read
        if limit is not None and len(value) > limit:
            bad(key, f"过长（最多 {limit} 个字符）", f"too long (at most {limit} characters)")
        if kind is not None:
            code = _code_for(kind, value)
            if code is None:
                bad(key, f"无法识别的取值：{value}", f"unrecognised value: {value}")
            (row.stay if key == "reason" else person)[key] = code
        elif plain:
            person[key] = value
    phone = values.get("phone", "").replace(" ", "")
    if phone:
        if not (MOBILE.match(phone) or LANDLINE.match(phone)):
            bad("phone", "电话号码格式不正确", "malformed phone number")
        row.person["phone"] = phone
    household = values.get("household_code", "")
    if not household:
        bad("household_code", "户籍地为空", "household place is empty")
    else:
        code = ctx.resolve(household)
        if code is None:
            bad("household_code", f"未知的行政区划：{household}", f"unknown division: {household}")
        row.person["household_code"] = code
    has_stay = any(values.get(k) for k in STAY_FIELDS)
    if has_stay:
        residence = values.get("residence_code", "")
        code = ctx.resolve(residence) if residence else None
        level = ctx.levels.get(code or "")
        if not residence:
            bad("residence_code", "有流动信息但现居住地为空", "stay details without a residence")
        elif code is None:
            bad("residence_code", f"未知的行政区划：{residence}", f"unknown division: {residence}")
        else:
            fault = ctx.fault(code)
            if fault == "coarse":
                bad("residence_code", f"现居住地是{label('level', level, 'zh')}级；本库辖区以外须到区县或更细",
                    f"the residence is a {label('level', level, 'en')}; outside the own area a county or finer is needed")
            elif fault == "no_village":  # kept, reported, and listed by the quality check (residence_not_village)
                row.notes.append(problem(line, "residence_code", residence,
                                         "本库辖区内的现居住地未到村/居：已导入，请补全（数据质量检查列出）",
                                         "a residence inside the own area above village level: imported; complete "
                                         "it (the quality check lists it)"))
        row.stay["residence_code"] = code
        for key in ("left_home_on", "arrived_on", "expected_return_on"):
            if values.get(key):
                try:
                    row.stay[key] = legacy.parse_date_text(values[key])
                except legacy.DateError as exc:
                    bad(key, exc.zh, exc.en)
        arrived = row.stay.get("arrived_on")
        if not values.get("arrived_on"):
            bad("arrived_on", "流入日期为空", "arrival date is empty")
        elif arrived and arrived > day:
            bad("arrived_on", "流入日期晚于今天", "arrival date is in the future")
        elif arrived and row.person.get("birth_date") and arrived < row.person["birth_date"]:
            bad("arrived_on", "流入日期早于出生日期", "arrival is before birth")
        for key in ("residence_address", "grid_code", "house_code", "room", "occupation", "employer"):
            if values.get(key):
                row.stay[key] = values[key]
        row.stay["household_code"] = row.person.get("household_code")
    if not problems and actor.prefix:
        places_here = [row.person.get("household_code"), row.stay.get("residence_code")]
        if not any(p and actor.covers(p) for p in places_here):
            bad("residence_code" if has_stay else "household_code",
                "现居住地和户籍地都不在您的管辖范围内", "neither residence nor household place is in your jurisdiction")
    return (None if problems else row), problems


_SEX = {"男": "M", "女": "F", "M": "M", "F": "F"}
_STAY_DATES = frozenset(("left_home_on", "arrived_on", "expected_return_on"))


def same_as_stored(ctx: Context, values: dict[str, str], check: idnumber.IdCheck, person: dict[str, Any],
                   stay: dict[str, Any] | None) -> bool:
    """Whether a row says exactly what is stored, each cell read as ``check_row`` reads it: the person's
    fields, and those of its open stay when the row has stay cells. Such a row passes ``check_row`` (the
    stored values did, and its valid ID number ``check`` is the stored one's) and changes nothing, so it
    needs neither. Any doubt answers False, and the row is checked in full."""
    has_stay = any(values.get(k) for k in STAY_FIELDS)
    if not (values.get("name") and values.get("household_code")) or (
            has_stay and (stay is None or not (values.get("residence_code") and values.get("arrived_on")))):
        return False
    if person.get("sex", check.sex) != check.sex or person.get("birth_date", check.birth_date) != check.birth_date:
        return False  # the record contradicts its own number: a conflict for the full check to report
    actor = ctx.actor
    if actor.prefix and not (actor.covers(person["household_code"])
                             or (has_stay and actor.covers(stay["residence_code"]))):  # type: ignore[index]  # has_stay: stay was checked above
        return False
    if has_stay and sides.joinable(actor, stay, ctx.resolve(values["residence_code"]),
                                   ctx.resolve(values["household_code"]), ctx.own) is not None:
        return False  # the other side's record of the same flow: this row is this side's registration of it
    try:
        for key, value in values.items():
            if not value or key == "id_number":
                continue
            limit = LIMITS.get(key)
            if limit is not None and len(value) > limit:
                return False
            if key in STAY_FIELDS:
                stored = stay[key]  # type: ignore[index]  # a stay cell: has_stay, so stay was checked above
                if key == "residence_code":
                    same = ctx.resolve(value) == stored and area.place_fault(ctx.own, ctx.levels.get, stored) is None
                elif key in _STAY_DATES:
                    same = legacy.parse_date_text(value) == stored
                elif key == "reason":
                    same = stored is not None and _code_for("reason", value) == stored
                else:
                    same = value == stored
            elif key == "name":
                same = _clean_name(value) == person["name"]
            elif key == "sex":
                same = _SEX.get(value.upper() if value.isascii() else value) == check.sex
            elif key == "birth_date":
                same = _parse_date(value) == check.birth_date
            elif key == "phone":
                same = value.replace(" ", "") == person["phone"]
            elif key == "household_code":
                same = ctx.resolve(value) == person["household_code"]
            elif key in ENUMS:
                same = person[key] is not None and _code_for(ENUMS[key], value) == person[key]
            elif key in PLAIN_PERSON_FIELDS:
                same = value == person[key]
            else:
                continue  # a column check_row does not read either
            if not same:
                return False
    except (KeyError, ValueError):
        return False
    return True


def lookup_key(cell: object) -> str:
    """The ID number a cell most likely holds, cheaply (``idnumber.check`` has the last word)."""
    number = idnumber.normalize(legacy.clean(cell))
    return idnumber.upgrade15(number) if len(number) == 15 and number.isascii() and number.isdigit() else number


def digest(values: dict[str, str]) -> bytes:
    """The same for two lines with the same cells (in one file, cells come in the same column order)."""
    return hashlib.blake2b(("\x1f".join(values.values()) + f"\x1e{len(values)}").encode(), digest_size=16).digest()


def numeric_id(value: float) -> str:
    """An ID number cell Excel holds as a number: its digits if they make a valid number (a 15-digit one
    survives), else the number as Excel shows it (3.60102E+17), which check_row refuses as stored as a number."""
    digits = legacy.clean(value)
    if idnumber.check(digits).ok:
        return digits
    return f"{float(value):.5E}"


def cells(columns: list[tuple[int, str]], raw: list[Any]) -> dict[str, str]:
    """The cells of a raw row by field name, cleaned (full-width forms, stray spaces, Excel dates, ID numbers
    Excel stored as numbers)."""
    values = {}
    width = len(raw)
    for i, key in columns:
        if i < width:
            v = raw[i]
            if type(v) is str and v.isascii() and v.isprintable() and "  " not in v:
                values[key] = v.strip()  # most cells: nothing else to clean
            elif key == "id_number" and type(v) in (int, float):
                values[key] = numeric_id(v)
            elif type(v) is str and len(v) <= 64:
                values[key] = _clean(v)  # names, places, codes: many repeat
            else:
                values[key] = legacy.clean(v)
    return values


def check_chunk(ctx: Context, raw_rows: list[tuple[int, list[Any]]], stored: Stored | None = None) -> list[Checked]:
    """Rows of a file (line number, raw cells), blank ones left out: each checked, and a good one made
    ready to store (name keys, category). A row that says exactly what ``stored`` holds for its ID number
    needs no check: it comes back as ``Row(same=True)``."""
    out: list[Checked] = []
    for line, raw in raw_rows:
        values = cells(ctx.columns, raw)
        if not any(values.values()) and not any(str(v or "").strip() for v in raw):
            continue
        if stored and values.get("id_number"):
            check = check_id(values["id_number"], ctx.day)
            hit = stored.get(check.number) if check.ok else None
            if hit is not None and same_as_stored(ctx, values, check, *hit):
                same = Row(line)
                same.number, same.digest, same.same = check.number, digest(values), True
                out.append((same, []))
                continue
        row, problems = check_row(ctx, line, values)
        if row is not None:
            person = row.person
            person["name_pinyin"], person["name_initials"] = _name_keys(person["name"])
            person["category"] = category(person["sex"], person.get("marital_status"))
            row.digest = digest(values)
        out.append((row, problems))
    return out
