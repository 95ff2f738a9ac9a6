"""The Citus rules on one SQL statement (issue #17), against the declared layout: a test-only check with sqlglot.

``check(sql)`` parses a statement as SQLAlchemy sends it to PostgreSQL (bound parameters as ``%(name)s``) and
returns its violations:

- ``join``: two distributed tables in one FROM (JOIN … ON, LEFT/RIGHT/FULL JOIN, USING, or a comma with the
  condition in WHERE; also UPDATE … FROM and DELETE … USING) whose ``county`` columns are not made equal, directly
  or through other tables of the statement, or by being equal to the same value (one shard)
- ``correlation``: a subquery (EXISTS, IN, ANY, scalar) reading a distributed table and referring to a distributed
  table of an enclosing query without county equality between them
- ``county_update``: an UPDATE that sets ``county`` of a distributed table (Citus refuses to move a row that way)
- ``insert_without_county``: an INSERT into a distributed table that names its columns but not ``county`` (the
  registry must write it on every insert path)

What passes on purpose: a derived table or CTE over a distributed table is not itself a distributed source (Citus
inlines it or plans it first and joins its result), nor is an uncorrelated ``IN (SELECT …)``; joins with
reference and local tables are free. Only equalities joined by AND at the top of a WHERE or ON count; one inside
an OR proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from flowpop.registry.store import distribution
from flowpop.registry.store.distribution import COUNTY, Placement

CHECKED = re.compile(r"^\s*\(*\s*(select|with|insert|update|delete)\b", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Violation:
    kind: str
    tables: tuple[str, ...]
    detail: str


@dataclass(eq=False)
class _Block:
    """One query level: a SELECT, UPDATE or DELETE, with its FROM sources and its conditions."""

    node: exp.Expr
    parent: _Block | None
    context: str  # root | exists | in | any | scalar | derived | cte | insert
    sources: dict[str, str | None] = field(default_factory=dict)  # alias → table (None: derived, CTE, function)
    conditions: list[exp.Expr] = field(default_factory=list)
    using: list[tuple[str, list[str]]] = field(default_factory=list)  # (joined alias, USING columns)
    own: list[exp.Expr] = field(default_factory=list)  # expressions of this level (not of its subqueries)


QUERY = (exp.Select, exp.SetOperation)


def _from(node: exp.Expr) -> exp.Expr | None:
    return node.args.get("from_") or node.args.get("from")


def _subqueries(root: exp.Expr) -> Iterator[tuple[exp.Expr, str]]:
    """The query nodes directly inside ``root`` (not inside another query node), with how they are used."""
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.iter_expressions():
            if isinstance(child, QUERY):
                parent = child.parent
                if isinstance(parent, exp.Subquery):
                    parent = parent.parent
                context = ("exists" if isinstance(parent, exp.Exists) else "in" if isinstance(parent, exp.In)
                           else "any" if isinstance(parent, (exp.Any, exp.All)) else "scalar")
                yield child, context
            else:
                stack.append(child)


class _Statement:
    def __init__(self, layout: Mapping[str, Placement], columns: Mapping[str, set[str]] | None) -> None:
        self.layout = layout
        self.columns = columns or {}
        self.blocks: list[_Block] = []
        self.found: list[Violation] = []
        self.union_find: dict[Any, Any] = {}

    # --- structure -------------------------------------------------------------------------------------------
    def distributed(self, table: str | None) -> bool:
        p = self.layout.get(table or "")
        return bool(p and p.kind == "distributed")

    def key(self, table: str | None) -> str:
        """The distribution column of ``table`` (``county``, or the column its placement names: id_numbers')."""
        p = self.layout.get(table or "")
        return p.column if p is not None and p.kind == "distributed" else COUNTY

    def query(self, node: exp.Expr, parent: _Block | None, context: str, ctes: frozenset[str]) -> None:
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            names = {cte.alias_or_name for cte in with_.expressions}
            ctes = ctes | names
            for cte in with_.expressions:
                self.query(cte.this, None, "cte", ctes)
        if isinstance(node, exp.SetOperation):
            self.query(node.left, parent, context, ctes)
            self.query(node.right, parent, context, ctes)
            return
        if isinstance(node, exp.Subquery):
            self.query(node.this, parent, context, ctes)
            return
        if isinstance(node, exp.Select):
            self.select(node, parent, context, ctes)
        elif isinstance(node, (exp.Update, exp.Delete)):
            self.modify(node, parent, context, ctes)
        elif isinstance(node, exp.Insert):
            self.insert(node, ctes)

    def source(self, block: _Block, node: exp.Expr, ctes: frozenset[str]) -> str | None:
        """Adds a FROM item to ``block``; returns its alias."""
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            alias = node.alias_or_name
            block.sources[alias] = None if (node.name in ctes and not node.db) else node.name
            return alias
        if isinstance(node, exp.Subquery):
            lateral = block if node.args.get("lateral") else None
            self.query(node.this, lateral, "derived", ctes)
            block.sources[node.alias_or_name] = None
            return node.alias_or_name
        if isinstance(node, exp.Lateral) and isinstance(node.this, exp.Subquery):
            self.query(node.this.this, block, "derived", ctes)
            block.sources[node.alias_or_name] = None
            return node.alias_or_name
        name = node.alias_or_name
        if name:
            block.sources[name] = None
        return name or None

    def select(self, node: exp.Select, parent: _Block | None, context: str, ctes: frozenset[str]) -> None:
        block = _Block(node, parent, context)
        self.blocks.append(block)
        from_ = _from(node)
        if from_ is not None:
            self.source(block, from_.this, ctes)
        for join in node.args.get("joins") or []:
            alias = self.source(block, join.this, ctes)
            if join.args.get("on") is not None:
                block.conditions.append(join.args["on"])
            if join.args.get("using") and alias:
                block.using.append((alias, [i.name for i in join.args["using"]]))
        if node.args.get("where") is not None:
            block.conditions.append(node.args["where"].this)
        self.level(block, node, skip=("from_", "from", "joins", "with_", "with"), ctes=ctes)
        for join in node.args.get("joins") or []:
            if join.args.get("on") is not None:
                self.level(block, join.args["on"], skip=(), ctes=ctes)

    def modify(self, node: exp.Expr, parent: _Block | None, context: str, ctes: frozenset[str]) -> None:
        block = _Block(node, parent, context)
        self.blocks.append(block)
        target = node.this
        alias = self.source(block, target, ctes) if target is not None else None
        extra: list[exp.Expr] = []
        if isinstance(node, exp.Update):
            from_ = _from(node)
            if from_ is not None:
                extra.append(from_.this)
            for join in node.args.get("joins") or []:
                extra.append(join.this)
            for assignment in node.expressions:
                if (isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column) and alias
                        and self.distributed(block.sources.get(alias))
                        and assignment.this.name == self.key(block.sources.get(alias))):
                    table = block.sources[alias] or ""
                    self.found.append(Violation("county_update", (table,),
                                                f"UPDATE {table} SET {assignment.this.name} = …"))
        else:
            extra.extend(node.args.get("using") or [])
        for item in extra:
            self.source(block, item, ctes)
        if node.args.get("where") is not None:
            block.conditions.append(node.args["where"].this)
        self.level(block, node, skip=("this", "from_", "from", "joins", "using", "with_", "with"), ctes=ctes)

    def insert(self, node: exp.Insert, ctes: frozenset[str]) -> None:
        target = node.this
        names: list[str] | None = None
        if isinstance(target, exp.Schema):
            names = [e.name for e in target.expressions]
            target = target.this
        table = target.name if isinstance(target, exp.Table) else ""
        if self.distributed(table) and names is not None and self.key(table) not in names:
            self.found.append(Violation("insert_without_county", (table,), f"INSERT INTO {table} ({', '.join(names)})"))
        source = node.expression
        if isinstance(source, (*QUERY, exp.Subquery)):
            self.query(source, None, "insert", ctes)
        for key in ("conflict", "returning", "where"):
            if node.args.get(key) is not None:
                for sub, context in _subqueries(node.args[key]):
                    self.query(sub, None, context, ctes)

    def level(self, block: _Block, node: exp.Expr, skip: tuple[str, ...], ctes: frozenset[str]) -> None:
        """Records ``node``'s own expressions on ``block`` and walks the subqueries inside them."""
        args = [node] if not skip else [v for k, v in node.args.items() if k not in skip and v is not None]
        for arg in args:
            for part in arg if isinstance(arg, list) else [arg]:
                if not isinstance(part, exp.Expr):
                    continue
                block.own.append(part)
                for sub, context in _subqueries(part):
                    self.query(sub, block, context, ctes)

    # --- columns and equalities --------------------------------------------------------------------------------
    def resolve(self, block: _Block, column: exp.Column) -> tuple[_Block, str] | None:
        if column.table:
            b: _Block | None = block
            while b is not None:
                if column.table in b.sources:
                    return b, column.table
                b = b.parent
            return None
        if len(block.sources) == 1:
            return block, next(iter(block.sources))
        having = [a for a, t in block.sources.items() if t and column.name in self.columns.get(t, ())]
        return (block, having[0]) if len(having) == 1 else None

    def find(self, key: Any) -> Any:
        root = key
        while self.union_find.get(root, root) != root:
            root = self.union_find[root]
        self.union_find[key] = root
        return root

    def union(self, a: Any, b: Any) -> None:
        self.union_find[self.find(a)] = self.find(b)

    def side(self, block: _Block, node: exp.Expr) -> Any:
        while isinstance(node, (exp.Paren, exp.Cast)):
            node = node.this
        if isinstance(node, exp.Column):
            where = self.resolve(block, node)
            if where is None or node.name != self.key(where[0].sources.get(where[1])):
                return None
            return ("county", id(where[0]), where[1])
        if node.find(exp.Column) is None and node.find(*QUERY) is None:
            return ("value", node.sql(dialect="postgres"))
        return None

    def equalities(self, block: _Block) -> None:
        for condition in block.conditions:
            for term in condition.flatten() if isinstance(condition, exp.And) else [condition]:
                while isinstance(term, exp.Paren):
                    term = term.this
                if isinstance(term, exp.And):
                    for inner in term.flatten():
                        self.equality(block, inner)
                else:
                    self.equality(block, term)
        for alias, names in block.using:
            if COUNTY in names:
                for other in block.sources:
                    if other != alias:
                        self.union(("county", id(block), alias), ("county", id(block), other))

    def equality(self, block: _Block, term: exp.Expr) -> None:
        while isinstance(term, exp.Paren):
            term = term.this
        if not isinstance(term, (exp.EQ, exp.NullSafeEQ)):
            return
        left, right = term.this, term.expression
        if isinstance(left, exp.Tuple) and isinstance(right, exp.Tuple):
            pairs = list(zip(left.expressions, right.expressions, strict=False))
        else:
            pairs = [(left, right)]
        for a, b in pairs:
            ka, kb = self.side(block, a), self.side(block, b)
            if ka is not None and kb is not None:
                self.union(ka, kb)

    def outer_references(self, block: _Block) -> dict[tuple[int, str], _Block]:
        """Aliases of enclosing queries that ``block``'s own expressions refer to."""
        found: dict[tuple[int, str], _Block] = {}
        for part in block.own:
            for column in _own_columns(part):
                where = self.resolve(block, column)
                if where and where[0] is not block:
                    found[(id(where[0]), where[1])] = where[0]
        return found

    # --- the rules ------------------------------------------------------------------------------------------
    def check(self) -> list[Violation]:
        for block in self.blocks:
            self.equalities(block)
        for block in self.blocks:
            mine = [a for a, t in block.sources.items() if self.distributed(t)]
            groups: dict[Any, list[str]] = {}
            for alias in mine:
                groups.setdefault(self.find(("county", id(block), alias)), []).append(alias)
            if len(groups) > 1:
                firsts = [aliases[0] for aliases in groups.values()]
                for other in firsts[1:]:
                    self.found.append(Violation(
                        "join", tuple(sorted({block.sources[firsts[0]] or "", block.sources[other] or ""})),
                        f"{_named(block, firsts[0])} with {_named(block, other)} without {COUNTY} equality"))
            if not mine:
                continue
            for (_, alias), outer in self.outer_references(block).items():
                if not self.distributed(outer.sources.get(alias)):
                    continue
                if self.find(("county", id(outer), alias)) != self.find(("county", id(block), mine[0])):
                    self.found.append(Violation(
                        "correlation", tuple(sorted({outer.sources[alias] or "", block.sources[mine[0]] or ""})),
                        f"{block.context} subquery on {_named(block, mine[0])} refers to {_named(outer, alias)} "
                        f"without {COUNTY} equality"))
        return sorted(set(self.found))


def _named(block: _Block, alias: str) -> str:
    table = block.sources.get(alias) or "?"
    return table if alias == table else f"{table} {alias}"


def _own_columns(node: exp.Expr) -> Iterator[exp.Column]:
    """The columns in ``node`` outside any query nested in it."""
    if isinstance(node, exp.Column):
        yield node
        return
    stack = [node]
    while stack:
        current = stack.pop()
        for child in current.iter_expressions():
            if isinstance(child, QUERY):
                continue
            if isinstance(child, exp.Column):
                yield child
            else:
                stack.append(child)


def check(sql: str, layout: Mapping[str, Placement] | None = None,
          columns: Mapping[str, set[str]] | None = None) -> list[Violation]:
    """The violations of one statement (empty for statements other than SELECT/WITH/INSERT/UPDATE/DELETE).

    ``columns`` (table → column names) resolves unqualified columns when a query level has several tables."""
    if not CHECKED.match(sql):
        return []
    layout = distribution.LAYOUT if layout is None else layout
    try:
        parsed = sqlglot.parse(sql.replace("%%", "%"), dialect="postgres")  # pyformat writes a modulo as %%
    except sqlglot.errors.SqlglotError as error:
        return [Violation("unparsed", (), str(error).splitlines()[0][:200])]
    found: list[Violation] = []
    for node in parsed:
        if node is None:
            continue
        statement = _Statement(layout, columns)
        statement.query(node, None, "root", frozenset())
        found.extend(statement.check())
    return sorted(set(found))


_PARAM = r"%\(\w+\)s(?:::[A-Za-z][\w ]*?)?"  # a bound parameter, maybe cast: %(id_1_1)s::BIGINT
_PARAM_LIST = re.compile(rf"\bIN \(({_PARAM})(?:, {_PARAM})+\)", re.IGNORECASE)


def normalize(sql: str) -> str:
    """One text per statement shape: an expanded IN list of parameters and a many-rows VALUES become one item."""
    sql = _PARAM_LIST.sub(r"IN (\1)", sql)
    match = re.search(r"\bVALUES ", sql)
    if match is None:
        return sql
    head, sep, rest = sql[:match.start()], match.group(), sql[match.end():]
    tuples: list[str] = []
    depth, start, end = 0, None, 0
    for i, ch in enumerate(rest):
        if ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
            if depth == 0 and start is not None:
                tuples.append(re.sub(r"__\d+\)s", ")s", rest[start:i + 1]))
                end = i + 1
                start = None
        elif depth == 0 and ch not in " ,":
            break
    if len(tuples) < 2:
        return sql
    return f"{head}{sep}{tuples[0]}{rest[end:]}"
