#!/usr/bin/env python3
"""ARCHITECTURE.md's layers, held for the headers the compiler cannot hold.

Each layer is a CMake library that sees only the headers of the layers it
links (CMakeLists.txt), so a forbidden `#include "ferry/..."` does not
compile. Third-party headers live in /usr/include, where every target can
see them; this check keeps each library's headers to the layers that may
use it, and checks the `ferry/` includes against the same table, so that
the table is written down once, here, beside ARCHITECTURE.md.

    python3 tests/layers/check_layers.py [ROOT]
    python3 tests/layers/check_layers.py --self-test

Prints each violation as FILE:LINE and exits 1 when there is any."""

import pathlib
import re
import sys

# Which layers each layer may include (ARCHITECTURE.md), and the
# third-party headers it may use. A layer may always include itself.
BELOW_CLI = ["util", "yaml", "model", "schema", "config", "git", "load", "plan", "render", "write"]
LAYERS = {
    "util": ([], ["openssl/"]),
    "yaml": (["util"], ["yaml.h", "nlohmann/"]),
    "model": (["util", "yaml"], ["nlohmann/"]),
    "schema": (["util", "yaml", "model"], ["valijson/", "nlohmann/"]),
    "config": (["util", "yaml", "model", "schema"], []),
    "git": (["util", "model"], ["git2.h", "git2/"]),
    "load": (["util", "yaml", "model", "schema", "config", "git"], ["spdlog/", "fmt/", "nlohmann/"]),
    "plan": (["util", "yaml", "model"], ["nlohmann/"]),
    "render": (["util", "yaml", "model", "plan"], ["nlohmann/"]),
    "write": (["util", "yaml", "model", "schema", "config", "git", "load", "plan"], ["yaml-cpp/", "nlohmann/"]),
    "cli": (BELOW_CLI, ["CLI/", "spdlog/", "fmt/", "nlohmann/"]),
}
THIRD_PARTY = ("openssl/", "yaml.h", "yaml-cpp/", "git2", "valijson/", "CLI/", "spdlog/", "fmt/", "nlohmann/", "doctest/")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(path, root):
    rel = path.relative_to(root).parts
    if rel[0] == "src" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ("include", "ferry") and len(rel) > 3:
        return rel[2]
    return None


def violations(root):
    for path in sorted(list((root / "src").rglob("*")) + list((root / "include").rglob("*"))):
        if path.suffix not in (".cpp", ".hpp", ".in") or not path.is_file():
            continue
        layer = layer_of(path, root)
        if layer is None:
            continue  # src/main.cpp
        if layer not in LAYERS:
            yield f"{path.relative_to(root)}: no layer '{layer}' in the table (tests/layers/check_layers.py)"
            continue
        may_include, may_use = LAYERS[layer]
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            header = m.group(2)
            where = f"{path.relative_to(root)}:{number}"
            if ".." in pathlib.PurePosixPath(header).parts:
                yield f"{where}: {layer}/ includes {header}: a path out of its folder gets round the layers"
            elif header.startswith("ferry/"):
                other = header.split("/")[1]
                if other != layer and other not in may_include:
                    yield f"{where}: {layer}/ includes {header}, and may not include {other}/"
            elif header.startswith(THIRD_PARTY) and not header.startswith(tuple(may_use)):
                yield f"{where}: {layer}/ includes <{header}>, which only other layers may use"


def self_test():
    """The check finds what it must: a tree with one violation of each sort."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "src" / "plan").mkdir(parents=True)
        (root / "include" / "ferry" / "model").mkdir(parents=True)
        (root / "src" / "plan" / "planner.cpp").write_text(
            '#include <git2.h>\n#include "ferry/load/organization.hpp"\n#include "ferry/model/workspace.hpp"\n'
            '#include "../load/checks.hpp"\n#include "planner.hpp"\n')
        (root / "include" / "ferry" / "model" / "x.hpp").write_text("#include <yaml-cpp/yaml.h>\n#include <vector>\n")
        found = list(violations(root))
        expected = ["src/plan/planner.cpp:1", "src/plan/planner.cpp:2", "src/plan/planner.cpp:4",
                    "include/ferry/model/x.hpp:1"]
        ok = sorted(v.split(": ")[0] for v in found) == sorted(expected)
        print("self-test " + ("passed" if ok else "failed: " + repr(found)))
        return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    found = list(violations(root))
    for v in found:
        print(v)
    print(f"{len(found)} layering violations" if found else "layers hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
