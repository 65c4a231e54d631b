#!/usr/bin/env python3
"""Layering check: ARCHITECTURE.md's module table is the one statement of which module may use
which. Every `#include "evobatch/<module>/..."` in src/<m>/ and include/evobatch/<m>/ must name
<m> itself or a module the table lets <m> use, and each module's `USES` line in
src/<m>/CMakeLists.txt (what it links) must be exactly that row (plus `asio`, the compiled Asio
and Beast, which is not a module of the table).

Usage: layering.py REPO. Exits 1 with one line per violation.
"""
import pathlib
import re
import sys


def table(architecture):
    rows = {}
    in_table = False
    for line in architecture.splitlines():
        if line.strip() == "| module | uses |":
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0].startswith("---"):
                continue
            uses = set() if cells[1].startswith("(") else {u.strip() for u in cells[1].split(",")}
            rows[cells[0]] = uses
    return rows


def main():
    repo = pathlib.Path(sys.argv[1])
    allowed = table((repo / "ARCHITECTURE.md").read_text())
    if not allowed:
        print("layering: no '| module | uses |' table in ARCHITECTURE.md", file=sys.stderr)
        return 1
    problems = []
    include = re.compile(r'^\s*#\s*include\s+"evobatch/([a-z_]+)/', re.M)
    for module in sorted(allowed):
        for folder in (repo / "src" / module, repo / "include" / "evobatch" / module):
            for path in sorted(folder.rglob("*")):
                if path.suffix not in (".cpp", ".hpp"):
                    continue
                for m in include.finditer(path.read_text()):
                    used = m.group(1)
                    if used != module and used not in allowed[module]:
                        line = path.read_text().count("\n", 0, m.start()) + 1
                        problems.append(f"{path.relative_to(repo)}:{line}: {module} may not include {used} "
                                        f"(ARCHITECTURE.md allows: {', '.join(sorted(allowed[module])) or 'nothing'})")
        cmake = repo / "src" / module / "CMakeLists.txt"
        uses_line = re.search(r"^\s*USES\s+([a-z_ ]+?)\)?\s*$", cmake.read_text(), re.M) if cmake.exists() else None
        links = set(uses_line.group(1).split()) - {"asio"} if uses_line else set()
        if not cmake.exists():
            problems.append(f"src/{module}: a module of the table without a folder")
        elif links != allowed[module]:
            problems.append(f"src/{module}/CMakeLists.txt: USES {', '.join(sorted(links)) or 'nothing'}, "
                            f"but ARCHITECTURE.md says {', '.join(sorted(allowed[module])) or 'nothing'}")
    modules = {p.parent.name for p in (repo / "src").glob("*/CMakeLists.txt")}
    for extra in sorted(modules - set(allowed)):
        problems.append(f"src/{extra}: a module ARCHITECTURE.md's table does not list")
    for p in problems:
        print(f"layering: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
