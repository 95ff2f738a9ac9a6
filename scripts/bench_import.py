"""The legacy import against the plainest ways to load the same file (issue #16, item 3). Run on demand:

    python scripts/bench_import.py [--rows 1000000] [--workdir DIR] [--pg postgresql://postgres@127.0.0.1:5432/flowpop_bench]

Generates a legacy CSV of --rows valid rows (12 columns, common surnames and given names, UTF-8), then, side
by side in one run:

- SQLite: ``flowpop import FILE --skip-bad --yes`` into a fresh registry (the command itself, in a
  subprocess: start-up included), the plain write (``csv`` + ``executemany`` into a table with one index,
  one transaction), ``sqlite-utils insert --csv`` when it is installed (``pip install -e ".[bench]"``; the
  column is skipped otherwise), and the same import again (an unchanged re-import);
- the floor of the import's writing: the rows it stored written again by ``executemany`` into the registry's
  own tables with their indexes (persons, stays, history, id_numbers), a chunk a transaction, nothing checked;
- while the first import runs, another process writes a small change (a person's phone, through the SDK)
  every 100 ms and records how long each write took: the longest wait of a concurrent writer;
- PostgreSQL (--pg: the database is dropped and created anew): the same import against ``COPY`` of the file
  into a table with one index, the re-import and the concurrent writer.

Ratios are printed at the end; the targets are issue #16's: import ≤ 3 × executemany and faster than
sqlite-utils, re-import ≤ 0.5 × the import, a concurrent writer never waiting more than a few seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's division tree (tests/tree.py)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("秀英华玉兰桂芳珍凤梅丽红霞云莲春燕琴敏静娟艳萍玲婷雪慧颖佳欣怡涵晓明伟强军勇杰涛斌超波辉刚健平"
         "东文华国建志永林海峰鹏宇浩然博文轩子豪俊杰思远嘉懿晨阳泽洋瑞航磊鑫宏亮德福贵荣兴旺发财")
HEADER = ["姓名", "身份证号", "性别", "出生日期", "民族", "户籍地", "现居住地", "流入日期", "流动原因", "婚姻状况",
          "联系电话", "文化程度"]
REGIONS = ("360102", "510104", "520102", "430102", "350627", "362201")
VILLAGES = ("350404001001", "350404001002", "350404002001")
WRITER_PERIOD = 0.1
# CPU seconds of each run (a machine shared with other work stretches wall-clock times, not these)
CPU: dict[str, float] = {}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate(path: Path, rows: int) -> None:
    """Valid rows: unique ID numbers whose sex and birth date agree with the row's cells."""
    from flowpop.rules import idnumber

    rnd = random.Random(16)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            born = dt.date(1960, 1, 1) + dt.timedelta(days=(i // 1000) % 16000)
            number = idnumber.make(REGIONS[(i // 16_000_000) % len(REGIONS)], born, i % 1000)
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
            arrived = dt.date(2015, 1, 1) + dt.timedelta(days=rnd.randrange(3900))
            w.writerow([name, number, "男" if int(number[16]) % 2 else "女", born.isoformat(),
                        rnd.choice(("汉族", "汉族", "汉族", "畲族", "回族")), number[:6], rnd.choice(VILLAGES),
                        f"{arrived.year}.{arrived.month}.{arrived.day}", rnd.choice(("务工", "经商", "投亲")),
                        rnd.choice(("未婚", "初婚", "再婚")), f"139{rnd.randrange(10**8):08d}",
                        rnd.choice(("初中", "高中/中专", "本科", "小学"))])
    log(f"  generated {rows:,} rows in {time.perf_counter() - started:.1f} s: {path}")


# ---------------------------------------------------------------------------------------------- plain loads


def cpu(who: int) -> float:
    """CPU seconds (user + system) used so far by this process (RUSAGE_SELF) or its ended children."""
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


def plain_executemany(path: Path, db: Path) -> float:
    """csv + executemany into a table of text columns with one index (on the ID number), one transaction."""
    db.unlink(missing_ok=True)
    CPU["executemany"] = -cpu(resource.RUSAGE_SELF)
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        conn.execute("CREATE TABLE plain (" + ", ".join(f"c{i} TEXT" for i in range(len(header))) + ")")
        conn.execute("CREATE INDEX ix_plain_id ON plain (c1)")
        conn.executemany(f"INSERT INTO plain VALUES ({', '.join('?' * len(header))})", reader)
    conn.commit()
    conn.close()
    CPU["executemany"] += cpu(resource.RUSAGE_SELF)
    return time.perf_counter() - started


FLOOR_TABLES = ("persons", "stays", "history", "id_numbers")


def floor(registry_db: Path, db: Path, chunk: int) -> float:
    """The floor of the import's writing: the rows it stored (read back from ``registry_db``), written again by
    ``executemany`` into the same tables with the same indexes (the registry's schema), ``chunk`` rows a
    transaction, with the store's pragmas — no check, no encoding, no look-up. CPU seconds."""
    src = sqlite3.connect(registry_db)
    schema = src.execute("SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN "
                         f"({', '.join('?' * len(FLOOR_TABLES))}) ORDER BY type = 'index'", FLOOR_TABLES).fetchall()
    rows = {name: src.execute(f"SELECT * FROM {name}").fetchall() for name in FLOOR_TABLES}
    src.close()
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    conn = sqlite3.connect(db)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    for _, sql in schema:
        conn.execute(sql)
    conn.commit()
    used = -cpu(resource.RUSAGE_SELF)
    for start in range(0, len(rows["persons"]), chunk):
        for name in FLOOR_TABLES:  # persons first: stays refer to them
            part = rows[name][start:start + chunk]
            if part:
                conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(part[0]))})", part)
        conn.commit()
    used += cpu(resource.RUSAGE_SELF)
    conn.close()
    return used


def plain_sqlite_utils(path: Path, db: Path) -> float | None:
    utils = shutil.which("sqlite-utils", path=str(Path(sys.executable).parent)) or shutil.which("sqlite-utils")
    if utils is None:
        return None
    db.unlink(missing_ok=True)
    before = cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([utils, "insert", str(db), "rows", str(path), "--csv"], check=True)
    CPU["sqlite_utils"] = cpu(resource.RUSAGE_CHILDREN) - before
    return time.perf_counter() - started


def plain_copy(path: Path, url: str) -> float:
    """COPY into a table of text columns with one index (on the ID number)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS plain_import")
        conn.execute("CREATE TABLE plain_import (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
        conn.execute("CREATE INDEX ix_plain_import_id ON plain_import (c1)")
        with path.open("rb") as fh, conn.cursor().copy("COPY plain_import FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := fh.read(1 << 20):
                copy.write(block)
    elapsed = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE plain_import")
    return elapsed


def fresh_pg(url: str) -> str:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


# ---------------------------------------------------------------------------------------------- flowpop


def registry(db: str) -> int:
    """A registry with the suite's division tree and one person for the concurrent writer to change."""
    import flowpop
    from flowpop.rules import idnumber
    from flowpop.types import DivisionIn
    from tests import tree

    with flowpop.Client(db=db) as c:
        c.divisions.import_rows([DivisionIn.model_validate(r) for r in tree.rows()])
        person = c.persons.create(
            id_number=idnumber.make("350404", dt.date(1990, 5, 6), 121), name="王秀英", household_code="350404000000",
            stay={"residence_code": tree.VILLAGE_A1, "arrived_on": dt.date(2026, 3, 1), "reason": "work"})
        return person.id


def run_import(db: str, path: Path) -> tuple[float, dict[str, Any]]:
    """``flowpop import FILE --skip-bad --yes --format json`` in a subprocess: seconds, and its result."""
    flowpop_bin = Path(sys.executable).parent / "flowpop"
    cmd = [str(flowpop_bin) if flowpop_bin.exists() else "flowpop", "--db", db, "import", str(path), "--skip-bad",
           "--yes", "--format", "json", "--errors", str(path.with_suffix(".errors.csv"))]
    before = cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    CPU["last_import"] = cpu(resource.RUSAGE_CHILDREN) - before  # the command and its helper processes
    if done.returncode not in (0, 4):
        raise SystemExit(f"flowpop import failed (exit {done.returncode})")
    return elapsed, json.loads(done.stdout)


def writer(db: str, person_id: int, stop: Path, out: Path) -> None:
    """The concurrent writer: a phone change every 100 ms until ``stop`` exists; each call's seconds to ``out``."""
    import flowpop

    waits: list[float] = []
    refused = 0
    with flowpop.Client(db=db).with_options(max_retries=0) as c:
        version = c.persons.get(person_id).version
        n = 0
        while not stop.exists():
            n += 1
            started = time.perf_counter()
            try:
                version = c.persons.update(person_id, version=version, phone=f"1380000{n % 10000:04d}",
                                           change_reason="bench").version
            except flowpop.FlowpopError:
                refused += 1
                version = c.persons.get(person_id).version
            waits.append(time.perf_counter() - started)
            time.sleep(max(0.0, WRITER_PERIOD - waits[-1]))
    out.write_text(json.dumps({"waits": waits, "refused": refused}))


def with_writer(db: str, person_id: int, workdir: Path, work: Any) -> tuple[Any, dict[str, Any]]:
    stop, out = workdir / "writer.stop", workdir / "writer.json"
    stop.unlink(missing_ok=True)
    out.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, __file__, "--writer", db, str(person_id), str(stop), str(out)])
    time.sleep(3)  # its start-up
    try:
        answer = work()
    finally:
        stop.touch()
        proc.wait()
    report = json.loads(out.read_text())
    waits = report["waits"]
    return answer, {"writes": len(waits), "longest": max(waits, default=0.0), "refused": report["refused"]}


def bench_store(label: str, db: str, path: Path, workdir: Path, writer_on: bool) -> dict[str, Any]:
    log(f"{label}: flowpop import …")
    person = registry(db)
    if writer_on:
        (seconds, result), writes = with_writer(db, person, workdir, lambda: run_import(db, path))
    else:
        (seconds, result), writes = run_import(db, path), {}
    first_cpu = CPU["last_import"]
    log(f"  {seconds:.1f} s ({first_cpu:.1f} CPU s): {result['inserted']:,} inserted, {result['rejected']} rejected; "
        f"writer: {writes}")
    log(f"{label}: the same file again …")
    again, second = run_import(db, path)
    log(f"  {again:.1f} s ({CPU['last_import']:.1f} CPU s): {second['unchanged']:,} unchanged, "
        f"{second['updated'] + second['inserted']} written")
    return {"import": seconds, "result": result, "again": again, "second": second, "writer": writes,
            "import_cpu": first_cpu, "again_cpu": CPU["last_import"]}


def row(name: str, value: str, target: str = "", verdict: str = "", used: float | None = None) -> None:
    print(f"{name:<58} {value:>9} {'' if used is None else f'{used:.2f}':>9}  {target:<24} {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file (default 1M)")
    parser.add_argument("--workdir", type=Path, help="where the file and databases go (default: a temporary folder)")
    parser.add_argument("--pg", help="a PostgreSQL database URL to run on as well (dropped and created anew)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-writer", action="store_true", help="without the concurrent writer")
    parser.add_argument("--no-sqlite-utils", action="store_true", help="leave out sqlite-utils (slow)")
    parser.add_argument("--writer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        db, person, stop, out = args.writer
        writer(db, int(person), Path(stop), Path(out))
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="flowpop-bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"legacy-{args.rows}.csv"
    if not path.exists():
        generate(path, args.rows)
    os.environ.pop("FLOWPOP_DB", None)
    figures: dict[str, Any] = {}
    if not args.no_sqlite:
        log("csv + executemany …")
        figures["executemany"] = plain_executemany(path, workdir / "plain.db")
        log(f"  {figures['executemany']:.1f} s ({CPU['executemany']:.2f} CPU s)")
        log("sqlite-utils insert --csv …")
        figures["sqlite_utils"] = None if args.no_sqlite_utils else plain_sqlite_utils(path, workdir / "plain-utils.db")
        log(f"  {figures['sqlite_utils']} s ({CPU.get('sqlite_utils')} CPU s)")
        db = workdir / "registry.db"
        for old in workdir.glob("registry.db*"):
            old.unlink()
        figures["sqlite"] = bench_store("SQLite", str(db), path, workdir, not args.no_writer)
        log("the floor: the stored rows written again by executemany, same tables and indexes, no check …")
        from flowpop.registry.files.imports import CHUNK

        figures["floor_cpu"] = floor(db, workdir / "floor.db", CHUNK)
        log(f"  {figures['floor_cpu']:.2f} CPU s")
    if args.pg:
        url = fresh_pg(args.pg)
        log("COPY …")
        figures["copy"] = plain_copy(path, url)
        log(f"  {figures['copy']:.1f} s")
        figures["pg"] = bench_store("PostgreSQL", url, path, workdir, not args.no_writer)

    print(f"\n## legacy import of {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB, 12 columns)\n")
    row("figure", "wall s", "target", "verdict (ratio of wall seconds; CPU-seconds ratio beside it)")
    print(f"{'':<58} {'':>9} {'CPU s':>9}")
    if "sqlite" in figures:
        s, plain, utils = figures["sqlite"], figures["executemany"], figures["sqlite_utils"]
        ratio = s["import"] / plain
        row("csv + executemany, table with one index (SQLite)", f"{plain:.2f}", used=CPU["executemany"])
        if utils is None:
            row("sqlite-utils insert --csv", "n/a", "not installed, or left out")
        else:
            row("sqlite-utils insert --csv", f"{utils:.2f}", used=CPU["sqlite_utils"])
        row("flowpop import --skip-bad (SQLite)", f"{s['import']:.2f}", "≤ 3 × executemany",
            f"ratio {ratio:.2f} ({'ok' if ratio <= 3 else 'MISSED'}); CPU {s['import_cpu'] / CPU['executemany']:.2f}",
            used=s["import_cpu"])
        if utils is not None:
            row("  … against sqlite-utils", "", "faster", f"ratio {s['import'] / utils:.2f} "
                f"({'ok' if s['import'] < utils else 'MISSED'}); CPU {s['import_cpu'] / CPU['sqlite_utils']:.2f}")
        _again(s)
        low = figures["floor_cpu"]
        row("  floor: its rows by executemany, same tables and indexes", "", "", f"CPU {low / CPU['executemany']:.2f} "
            f"× executemany; the import {s['import_cpu'] / low:.2f} × the floor", used=low)
    if "pg" in figures:
        s, copy = figures["pg"], figures["copy"]
        row("COPY, table with one index (PostgreSQL)", f"{copy:.2f}")
        row("flowpop import --skip-bad (PostgreSQL)", f"{s['import']:.2f}", "", f"ratio {s['import'] / copy:.2f}",
            used=s["import_cpu"])
        _again(s)
    return 0


def _again(s: dict[str, Any]) -> None:
    ratio = s["again"] / s["import"]
    row(f"  the same file again ({s['second']['unchanged']:,} unchanged)", f"{s['again']:.2f}", "≤ 0.5 × the import",
        f"ratio {ratio:.2f} ({'ok' if ratio <= 0.5 else 'MISSED'}); CPU {s['again_cpu'] / s['import_cpu']:.2f}",
        used=s["again_cpu"])
    w = s["writer"]
    if w:
        row(f"  longest wait of a concurrent writer ({w['writes']} writes)", f"{w['longest']:.2f}",
            "a few seconds", f"{w['refused']} refused as busy")


if __name__ == "__main__":
    raise SystemExit(main())
