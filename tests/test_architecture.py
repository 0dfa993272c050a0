"""Architecture rules for portal/, checked with ast (see docs/architecture.md).

Each check_* function takes a package directory (portal/) and returns its offences. Imports
count at module level and inside functions, not under `if TYPE_CHECKING:`; `from pkg import
name` means the module pkg.name when that is a file, else pkg."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

PORTAL_ROOT = Path(__file__).resolve().parents[1] / "portal"

# Rule 1: portal.ai is a model gateway; it knows nothing of the layers above it (nor blueprints).
AI_PACKAGE = "portal.ai"
AI_BANNED_IMPORTS = ("portal.services", "portal.tasks", "portal.events", "portal.listeners")
AI_BANNED_FLASK = ("request",)
# Rule 2: services are plain Python, called alike by views, tasks and the CLI (nor blueprints).
SERVICES_PACKAGE = "portal.services"
SERVICES_BANNED_IMPORTS = ("portal.tasks", "portal.listeners")
SERVICES_BANNED_FLASK = tuple(
    "abort flash render_template render_template_string redirect request".split()
)
# Rules 3 and 4: third-party model libraries, and the one package allowed to import each.
SDK_HOMES = {"google": "portal.ai.providers"}
ML_HOMES = {name: "portal.ai" for name in ("sklearn", "numpy", "scipy", "joblib")}
MAX_MODULE_LINES = 500  # rule 6
# Rule 7: function-local portal imports are free only in the app factory and CLI modules.
MAX_LOCAL_PORTAL_IMPORTS = 5
# create_app and the helpers it calls, which import the app's parts when it is built.
FACTORY_MODULE = "portal"
FACTORY_FUNCTIONS = (
    "create_app",
    "_register_blueprints",
    "_register_cli",
    "_register_template_helpers",
)
# Rule 8: the only writers, and what counts as a write (rollback is allowed everywhere).
WRITER_MODULES = ("portal.services", "portal.ai.usage")
SESSION_WRITES = ("add", "add_all", "delete", "commit", "flush", "merge")
WRITE_STATEMENTS = ("sqlalchemy.insert", "sqlalchemy.update", "sqlalchemy.delete")


@dataclass
class Import:
    line: int
    target: str  # a portal module, or the external dotted name (flask, google.genai)
    name: str | None  # the name taken by `from x import name`
    function: str | None  # outermost enclosing function; None at module level


@dataclass
class Module:
    name: str
    rel: str  # e.g. portal/ai/usage.py
    lines: int
    imports: list[Import] = field(default_factory=list)
    uses: set[tuple[int, str]] = field(default_factory=set)  # (line, qualified attribute)
    calls: list[tuple[int, str, str]] = field(default_factory=list)  # line, written, qualified


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)):
        return f"{base}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else None


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: Module, is_package: bool, known: set[str]):
        self.module, self.is_package, self.known = module, is_package, known
        self.function: str | None = None
        self.bindings: dict[str, str] = {}  # local name -> the dotted name it stands for

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, self.function or node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:  # under `if TYPE_CHECKING:` only `else:` runs
        type_checking = _dotted(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for child in node.orelse if type_checking else [node.test, *node.body, *node.orelse]:
            self.visit(child)

    def _add(self, node: ast.stmt, dotted: str, name: str | None = None) -> None:
        if within(dotted, self.module.name.split(".")[0]):  # our own module: the longest match
            while dotted not in self.known and "." in dotted:
                dotted = dotted.rsplit(".", 1)[0]
        self.module.imports.append(Import(node.lineno, dotted, name, self.function))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)
            local = alias.asname or alias.name.split(".")[0]
            self.bindings[local] = alias.name if alias.asname else local

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.module.name.split(".")[: None if self.is_package else -1]
            parts = parts[: len(parts) - node.level + 1] + ([base] if base else [])
            base = ".".join(parts)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            self._add(node, candidate if candidate in self.known else base, alias.name)
            self.bindings[alias.asname or alias.name] = candidate


def load_modules(root: Path) -> dict[str, Module]:
    """Parse every .py file under root, a package directory such as portal/."""
    root = Path(root)
    files = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    assert files, f"no Python files under {root}: the rules would pass vacuously"
    modules = {}
    for name, path in files.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        module = Module(name, path.relative_to(root.parent).as_posix(), len(text.splitlines()))
        collector = _ImportCollector(module, path.name == "__init__.py", set(files))
        collector.visit(tree)

        def qualify(dotted: str, bindings=collector.bindings) -> str:
            head, _, rest = dotted.partition(".")
            return ".".join(filter(None, [bindings.get(head, head), rest]))

        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (dotted := _dotted(node)):
                module.uses.add((node.lineno, qualify(dotted)))
            if isinstance(node, ast.Call) and (dotted := _dotted(node.func)):
                module.calls.append((node.lineno, dotted, qualify(dotted)))
        modules[name] = module
    return modules


def blueprint_packages(modules: dict[str, Module]) -> set[str]:
    """Top-level packages whose __init__.py creates a Blueprint(...)."""
    inits = [m for m in modules.values() if m.rel.count("/") == 2 and m.rel.endswith("__init__.py")]
    return {m.name for m in inits if any(c.split(".")[-1] == "Blueprint" for _, c, _ in m.calls)}


def check_layer(root: Path, layer: str, forbidden: tuple, flask_names: tuple) -> list[str]:
    """Modules in `layer` import neither `forbidden` nor a blueprint, nor flask.<flask_names>."""
    modules = load_modules(root)
    forbidden = (*forbidden, *blueprint_packages(modules))
    banned_flask = {f"flask.{n}" for n in flask_names}
    out = []
    for m in modules.values():
        if within(m.name, layer):
            for imp in m.imports:
                if within(imp.target, *forbidden):
                    out.append(f"{m.rel}:{imp.line} imports {imp.target}")
                elif within(imp.target, "flask") and f"flask.{imp.name}" in banned_flask:
                    out.append(f"{m.rel}:{imp.line} imports {imp.name} from {imp.target}")
            out += [f"{m.rel}:{line} uses {q}" for line, q in sorted(m.uses) if q in banned_flask]
    return out


def check_library_homes(root: Path, homes: dict[str, str]) -> list[str]:
    return [
        f"{m.rel}:{imp.line} imports {imp.target} (allowed only in {home})"
        for m in load_modules(root).values()
        for imp in m.imports
        if (home := homes.get(imp.target.split(".")[0])) and not within(m.name, home)
    ]


def reached_from(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Iterative breadth-first search: each node reachable from start -> the node before it."""
    before: dict[str, str] = {}
    queue = [start]
    for node in queue:  # the queue grows while we walk it
        for child in sorted(graph[node] - before.keys()):
            before[child] = node
            queue.append(child)
    return before


def find_cycles(graph: dict[str, set[str]]) -> list[tuple[set[str], list[str]]]:
    """Each strongly connected component, with its shortest cycle through its first member."""
    reach = {node: reached_from(graph, node) for node in graph}
    components = {frozenset(m for m in reach[n] if n in reach[m]) for n in graph if n in reach[n]}
    found = []
    for component in sorted(components, key=min):
        first = min(component)
        back = [first]  # walk the search tree from first back to first
        while (node := reach[first][back[-1]]) != first:
            back.append(node)
        found.append((set(component), [first, *reversed(back[1:]), first]))
    return found


def top_unit(name: str) -> str:  # portal.services.tickets -> portal.services; portal -> portal
    return ".".join(name.split(".")[:2])


def check_import_cycles(root: Path) -> list[str]:
    modules = load_modules(root)
    blueprints = blueprint_packages(modules)
    edges: dict[tuple[str, str], str] = {}  # (importer, imported) -> file:line of the import
    for m in modules.values():
        for imp in m.imports:
            a, b = m.name, imp.target
            # a blueprint package and its own submodules may import each other
            own_blueprint = top_unit(a) == top_unit(b) in blueprints and bool({a, b} & blueprints)
            if b in modules and b != a and not own_blueprint:
                edges.setdefault((a, b), f"{m.rel}:{imp.line}")
    top = Path(root).name  # the root package (create_app) imports everything: none may import it
    offences = [f"{place} imports {b}" for (_, b), place in edges.items() if b == top]
    for kind, unit in (("module", str), ("package", top_unit)):
        graph: dict[str, set[str]] = {unit(n): set() for n in modules}
        where: dict[tuple[str, str], str] = {}
        for (a, b), place in edges.items():
            if unit(a) != unit(b):
                graph[unit(a)].add(unit(b))
                where.setdefault((unit(a), unit(b)), place)
        for component, cycle in find_cycles(graph):
            hops = " -> ".join(f"{a} [{where[a, b]}]" for a, b in pairwise(cycle))
            offences.append(f"{kind} cycle: {hops} -> {cycle[0]}")
            if len(component) > len(cycle) - 1:
                offences.append(f"  (same tangle: {', '.join(sorted(component))})")
    return offences


def check_module_size(root: Path) -> list[str]:
    modules = load_modules(root).values()
    return [f"{m.rel}: {m.lines} lines" for m in modules if m.lines > MAX_MODULE_LINES]


def local_portal_imports(root: Path) -> list[str]:
    """Function-local import statements of portal modules, outside create_app and CLI modules."""
    found: dict[str, list[str]] = {}
    for m in load_modules(root).values():
        for imp in m.imports:
            in_factory = m.name == FACTORY_MODULE and imp.function in FACTORY_FUNCTIONS
            cli = m.rel.endswith("/cli.py") and m.rel.count("/") <= 2  # portal/(*/)cli.py
            free = in_factory or cli or not within(imp.target, Path(root).name)
            if imp.function and not free:
                found.setdefault(f"{m.rel}:{imp.line} in {imp.function}()", []).append(imp.target)
    return [f"{place} imports {', '.join(dict.fromkeys(t))}" for place, t in found.items()]


def check_writers(root: Path) -> list[str]:
    out = []
    for m in load_modules(root).values():
        if within(m.name, *WRITER_MODULES):
            continue
        for line, written, qualified in sorted(m.calls):
            owner, _, verb = written.rpartition(".")
            if owner.rpartition(".")[2] == "session" and verb in SESSION_WRITES:
                out.append(f"{m.rel}:{line} calls {written}()")
            elif qualified in WRITE_STATEMENTS:
                out.append(f"{m.rel}:{line} builds a write statement {written}()")
    return out


def assert_clean(title: str, offences: list[str]) -> None:
    offences = list(dict.fromkeys(offences))  # `from x import a, b` reports its line once
    assert not offences, f"{title} ({len(offences)}):\n  " + "\n  ".join(offences)


def test_ai_imports_no_upper_layer_and_no_request():
    offences = check_layer(PORTAL_ROOT, AI_PACKAGE, AI_BANNED_IMPORTS, AI_BANNED_FLASK)
    assert_clean("portal.ai reaches above the model gateway", offences)


def test_services_import_no_tasks_blueprints_or_web_helpers():
    offences = check_layer(
        PORTAL_ROOT, SERVICES_PACKAGE, SERVICES_BANNED_IMPORTS, SERVICES_BANNED_FLASK
    )
    assert_clean("portal.services depends on the web layer, tasks or listeners", offences)


def test_google_sdk_only_in_ai_providers():
    assert_clean("google SDK outside ai/providers/", check_library_homes(PORTAL_ROOT, SDK_HOMES))


def test_ml_libraries_only_in_ai():
    assert_clean("ML libraries outside portal/ai/", check_library_homes(PORTAL_ROOT, ML_HOMES))


def test_no_import_cycles():
    assert_clean("import cycles ([file:line] imports the next)", check_import_cycles(PORTAL_ROOT))


def test_no_module_over_500_lines():
    assert_clean(f"modules over {MAX_MODULE_LINES} lines", check_module_size(PORTAL_ROOT))


def test_few_function_local_portal_imports():
    imports = local_portal_imports(PORTAL_ROOT)
    if len(imports) > MAX_LOCAL_PORTAL_IMPORTS:
        assert_clean(f"more than {MAX_LOCAL_PORTAL_IMPORTS} function-local portal imports", imports)


def test_only_services_write():
    assert_clean("writes outside portal/services/ and ai/usage.py", check_writers(PORTAL_ROOT))
