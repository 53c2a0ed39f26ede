"""The import graph of `chatbot/` and `eval/`: floors, cycles, and imports that go up the ladder.

Run: python bench/import_graph.py [--root DIR] [--edges]
Reads every `import` / `from … import` statement of every module under DIR/chatbot and DIR/eval with
`ast`, including lazy imports inside functions (an import inside a function is still a dependency: it
only runs later). Prints:
- cycles: strongly connected groups of modules (zero is the goal);
- levels: each module's depth in the graph of groups (0 imports nothing of chatbot/ or eval/);
- floors: the package ladder below, and every import of a higher floor (none is the goal). `eval/` is
  the top floor, so the product importing the evaluation tool shows up as an upward import.
Exit code 1 when there is a cycle or an upward import.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

# The ladder, lowest floor first: a module may import its own floor and the floors below it. Modules
# directly under chatbot/ are the ground floor, except the composition root and the entry module.
LADDER = ["ground", "knowledge", "index", "retrieval", "answer", "conversations", "quality", "staff",
          "publishing", "services", "web", "cli", "eval"]
PACKAGES = ("chatbot", "eval")
TOP_MODULES = {"chatbot.services": "services", "chatbot.__main__": "cli"}


def module_names(package_dir: Path) -> dict[str, Path]:
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `name` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from x import y` may name a submodule y, or a name defined in x.
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import chatbot.x.y` depends on the module that exists
                target = target.rpartition(".")[0]
            if target and target != name and target not in PACKAGES:
                found.add(target)
    return found


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: groups of modules that reach each other."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def floor_of(name: str) -> str:
    if name.split(".")[0] == "eval":
        return "eval"
    if name in TOP_MODULES:
        return TOP_MODULES[name]
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LADDER else "ground"


def _short(name: str) -> str:
    return name.removeprefix("chatbot.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--edges", action="store_true", help="also print every module's imports")
    args = parser.parse_args(argv)

    modules = {name: path for package in PACKAGES for name, path in module_names(args.root / package).items()}
    known = set(modules)
    graph = {name: imports_of(name, path, known) for name, path in modules.items()}

    groups = strongly_connected(graph)
    cycles = [g for g in groups if len(g) > 1]
    group_of = {member: number for number, group in enumerate(groups) for member in group}
    level: dict[int, int] = {}
    for number, group in enumerate(groups):  # Tarjan emits a group after every group it reaches
        below = [level[group_of[t]] for m in group for t in graph[m] if group_of[t] != number]
        level[number] = 1 + max(below) if below else 0

    print(f"modules: {len(modules)}  imports: {sum(len(t) for t in graph.values())}  "
          f"lines: {sum(len(p.read_text(encoding='utf-8').splitlines()) for p in modules.values())}")
    print(f"cycles: {len(cycles)}")
    for group in cycles:
        print(f"  {len(group)} modules: {' '.join(_short(m) for m in group)}")
    print("levels (longest chain of imports below a module; a cycle counts as one):")
    by_level = defaultdict(list)
    for name in modules:
        by_level[level[group_of[name]]].append(_short(name))
    for depth in sorted(by_level):
        print(f"  {depth:>2}: {' '.join(sorted(by_level[depth]))}")

    print("floors (ladder: " + " < ".join(LADDER) + "):")
    by_floor = defaultdict(list)
    for name in modules:
        by_floor[floor_of(name)].append(_short(name))
    for floor in LADDER:
        if by_floor[floor]:
            print(f"  {floor:<13} {len(by_floor[floor]):>3} modules")
    upward = [(name, target) for name, targets in graph.items() for target in sorted(targets)
              if LADDER.index(floor_of(target)) > LADDER.index(floor_of(name))]
    print(f"imports of a higher floor: {len(upward)}")
    for name, target in upward:
        print(f"  {name} ({floor_of(name)}) -> {target} ({floor_of(target)})")
    if args.edges:
        for name in sorted(graph):
            print(f"{name}: {' '.join(sorted(graph[name]))}")
    return 1 if cycles or upward else 0


if __name__ == "__main__":
    sys.exit(main())
