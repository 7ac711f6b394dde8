"""The package keeps its shape: the store is the boundary, and its parts import no cycle.

Why a test: both rules broke once while parts were written side by side (20 modules outside
`store/` ran SQL on the engine; `link` and `store` imported each other), and neither shows in
any behaviour test until a schema change has to be made in twenty places. These checks read
the source (no import), so they see lazy imports inside functions too.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa

import amberline

SRC = Path(amberline.__file__).resolve().parent
# Names of sqlalchemy that build or run SQL (types such as sa.Row in hints are no SQL).
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "exists", "func", "and_",
                "or_", "not_", "tuple_", "literal", "literal_column", "case", "union",
                "union_all", "bindparam", "column", "table", "create_engine"}
CONNECTION_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars", "reading", "writing"}


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level == 0:
        return [node.module or ""]
    base = name.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, a.name]) for a in node.names]


def _tables(module: str) -> set[str]:
    found = importlib.import_module(module)
    return {k for k, v in vars(found).items() if isinstance(v, sa.Table)}


Modules = Iterable[tuple[str, Path, ast.Module]]


def boundary_violations(modules: Modules | None = None) -> list[str]:
    """`module:line what` for every place outside `store/` that builds or runs SQL, uses the
    store's engine or writer, takes a raw connection, or imports a table object."""
    out: list[str] = []
    for name, _, tree in _modules() if modules is None else modules:
        if name.startswith("amberline.store"):
            continue
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                   for a in n.names if a.name == "sqlalchemy"}
        for node in ast.walk(tree):
            where = f"{name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("sqlalchemy"):
                    out += [f"{where} imports sqlalchemy.{a.name}" for a in node.names
                            if a.name in SQL_BUILDERS]
                elif node.module.startswith("amberline.store.schema"):
                    tables = _tables(node.module)
                    out += [f"{where} imports table {a.name}" for a in node.names
                            if a.name in tables]
            elif isinstance(node, ast.Attribute):
                owner = ast.unparse(node.value)
                sql = owner in aliases and node.attr in SQL_BUILDERS
                handle = node.attr in ("engine", "writer") and "store" in owner.lower()
                if sql or handle:
                    out.append(f"{where} uses {owner}.{node.attr}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in CONNECTION_CALLS
                  and ("conn" in ast.unparse(node.func.value).lower()
                       or node.func.attr in ("reading", "writing"))):
                out.append(f"{where} calls {ast.unparse(node.func)}()")
    return out


def import_graph() -> dict[str, set[str]]:
    """{part: parts it imports}, a part being a direct subpackage or module of `amberline`
    (imports under `if TYPE_CHECKING:` left out: they never run)."""
    graph: dict[str, set[str]] = {}
    for name, path, tree in _modules():
        if name == "amberline":
            continue
        part = name.split(".")[1]
        skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped:
                for target in _imported(name, path, node):
                    bits = target.split(".")
                    if bits[0] == "amberline" and len(bits) > 1 and bits[1] != part:
                        graph.setdefault(part, set()).add(bits[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def test_no_module_outside_the_store_runs_sql_or_holds_a_connection() -> None:
    assert boundary_violations() == []


def test_the_boundary_check_sees_each_kind_of_violation() -> None:
    source = ("import sqlalchemy as sa\nfrom amberline.store.schema import ads\n"
              "def f(store):\n    with store.engine.connect() as conn:\n"
              "        return conn.execute(sa.select(ads)).all()\n"
              "def g(store):\n    with store.reading() as c:\n        return c\n")
    probe = ("amberline.web.probe", SRC / "web" / "probe.py", ast.parse(source))
    found = sorted(v.split(" ", 1)[1] for v in boundary_violations([probe]))
    assert found == ["calls conn.execute()", "calls store.reading()", "imports table ads",
                     "uses sa.select", "uses store.engine"]
    inside = ("amberline.store.probe", SRC / "store" / "probe.py", ast.parse(source))
    assert boundary_violations([inside]) == []


def test_the_parts_of_the_package_import_no_cycle() -> None:
    graph = import_graph()
    assert graph["web"] >= {"store"} and "web" not in graph.get("store", set())
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
