#!/usr/bin/env python3
"""Fails when a public symbol declared in this package's sources has no documentation comment.

Reads the symbol graphs that `swift package generate-documentation` extracted (one per module,
plus extension graphs such as NumPyIO@DenseMatrix.symbols.json) and checks every public or open
symbol with a source location (extension blocks aside), so compiler-synthesized members
(`init(rawValue:)`, `hash(into:)`, ...) are not counted, while our own implementations of protocol
requirements are and need their own comment (one inherited from the protocol does not count).
Prints the coverage per module.

    python3 .ci/check-doc-coverage.py .build-docs DenseMatrix RNN NumPyIO
"""
import glob
import json
import os
import sys

scratch, modules = sys.argv[1], sys.argv[2:]
missing, total, documented = [], 0, 0
for module in modules:
    files = glob.glob(os.path.join(scratch, "*", "extracted-symbols", "*", module, "*.symbols.json"))
    if not files:
        sys.exit(f"no symbol graphs for {module} under {scratch}: build the documentation first")
    module_total = module_documented = 0
    for path in files:
        for symbol in json.load(open(path))["symbols"]:
            if symbol.get("accessLevel") not in ("public", "open") or "location" not in symbol:
                continue
            if symbol["kind"]["identifier"] == "swift.extension":  # an extension block, not a symbol
                continue
            module_total += 1
            doc = symbol.get("docComment", {})
            # A comment inherited from a protocol requirement (say Equatable's ==) carries the
            # protocol's module and no source file: it does not document our implementation.
            if doc.get("lines") and "uri" in doc:
                module_documented += 1
            else:
                where = symbol["location"]
                missing.append(f"{os.path.relpath(where['uri'].removeprefix('file://'))}:"
                               f"{where['position']['line'] + 1}: {'.'.join(symbol['pathComponents'])}")
    print(f"{module}: {module_documented}/{module_total} public symbols documented "
          f"({100.0 * module_documented / max(module_total, 1):.1f}%)")
    total += module_total
    documented += module_documented
print(f"all: {documented}/{total} ({100.0 * documented / max(total, 1):.1f}%)")
if missing:
    print("\nundocumented public symbols:")
    print("\n".join("  " + m for m in sorted(set(missing))))
    sys.exit(1)
