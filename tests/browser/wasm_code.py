#!/usr/bin/env python3
"""The code of a WebAssembly module by function: its size in bytes and its name (from the
module's name section), and, given the functions a page called, how many bytes of code the
browser had to compile for them, grouped by where the code comes from.

  wasm_code.py functions MODULE            every defined function: index, bytes, name
  wasm_code.py called MODULE CALLED [TOP]  the functions listed in CALLED (function indices,
                                           one per line, as `trail_page.py called` writes them):
                                           totals, groups, the TOP largest (default 40)
  wasm_code.py total MODULE CALLED         only the bytes of code of the functions in CALLED
  wasm_code.py same-code MODULE OTHER      exit 0 when both modules have the same code section
                                           (so the same function indices)

A function's bytes are its body in the code section (locals and instructions), what V8's
Liftoff reads when it compiles the function on its first call. Indices count imported functions
first, as V8's and the name section's do.
"""

import collections
import re
import sys

CODE_SECTION = 10
IMPORT_SECTION = 2
CUSTOM_SECTION = 0
FUNCTION_IMPORT = 0
NAME_SUBSECTION_FUNCTIONS = 1


def uleb(data, at):
    """An unsigned LEB128 number at `at`: (value, the position after it)."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def name_at(data, at):
    length, at = uleb(data, at)
    return data[at:at + length].decode("utf-8", "replace"), at + length


def sections(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a WebAssembly module")
    at = 8
    while at < len(data):
        kind = data[at]
        size, start = uleb(data, at + 1)
        yield kind, start, start + size
        at = start + size


def imported_functions(data, start):
    """How many of the import section's entries are functions."""
    count, at = uleb(data, start)
    functions = 0
    for _ in range(count):
        _, at = name_at(data, at)
        _, at = name_at(data, at)
        kind = data[at]
        at += 1
        if kind == FUNCTION_IMPORT:
            _, at = uleb(data, at)
            functions += 1
        elif kind == 1:  # table: reference type, limits
            at += 1
            flags, at = uleb(data, at + 0)
            _, at = uleb(data, at)
            if flags & 1:
                _, at = uleb(data, at)
        elif kind == 2:  # memory: limits
            flags, at = uleb(data, at)
            _, at = uleb(data, at)
            if flags & 1:
                _, at = uleb(data, at)
        elif kind == 3:  # global: value type, mutability
            at += 2
        else:  # tag
            at += 1
            _, at = uleb(data, at)
    return functions


def function_names(data, start, end):
    names = {}
    at = start
    while at < end:
        kind = data[at]
        size, body = uleb(data, at + 1)
        if kind == NAME_SUBSECTION_FUNCTIONS:
            count, here = uleb(data, body)
            for _ in range(count):
                index, here = uleb(data, here)
                names[index], here = name_at(data, here)
        at = body + size
    return names


class Module:
    def __init__(self, path):
        data = open(path, "rb").read()
        self.imports = 0
        self.sizes = {}
        self.names = {}
        self.code = b""
        for kind, start, end in sections(data):
            if kind == IMPORT_SECTION:
                self.imports = imported_functions(data, start)
            elif kind == CODE_SECTION:
                self.code = data[start:end]
                count, at = uleb(data, start)
                for position in range(count):
                    size, body = uleb(data, at)
                    self.sizes[self.imports + position] = size
                    at = body + size
            elif kind == CUSTOM_SECTION:
                name, at = name_at(data, start)
                if name == "name":
                    self.names = function_names(data, at, end)

    def name(self, index):
        return clean(self.names.get(index, f"function {index}"))


def clean(name):
    """The demangled name without its hash suffix."""
    return re.sub(r"\[[0-9a-f]{16}\]", "", re.sub(r"::h[0-9a-f]{16}$", "", name))


def origin(name):
    """Where a function's code comes from, for the groups: what makes most of it.
    Monomorphised generic code is counted where it is instantiated for a type when the name
    says so (serde's visitors of a type, `BTreeMap` of any types)."""
    rules = [
        ("serde: deserialize", r"Deserializ|Visitor|MapAccess|SeqAccess|EnumAccess|VariantAccess|__Field|__FieldVisitor"),
        ("serde: serialize", r"Serializ"),
        ("BTreeMap / BTreeSet", r"collections::btree"),
        ("drop_in_place", r"drop_in_place"),
        ("core::fmt", r"core::fmt|::fmt$|Display|Debug"),
        ("clone", r"as core::clone::Clone>::clone"),
        ("memory (alloc, dlmalloc, Vec growth)", r"dlmalloc|alloc::raw_vec|__rust_alloc|__rust_dealloc|__rust_realloc|alloc::alloc"),
    ]
    for group, pattern in rules:
        if re.search(pattern, name):
            return group
    return crate_of(name)


def crate_of(name):
    """The crate (and for ours the module) of a function's own path: `<T as Trait>::f` is
    T's, `core::ptr::…<T>` stays core's."""
    subject = name
    while subject.startswith("<"):
        subject = subject[1:]
    path = re.split(r"[<>\s(]", subject, maxsplit=1)[0]
    parts = [part for part in path.split("::") if part]
    if not parts:
        return name
    if parts[0] in ("verifier", "contract_lang", "pactum_canonical", "pactum_verify_wasm") and len(parts) > 1:
        return "::".join(parts[:2])
    return parts[0]


def read_called(path):
    with open(path) as lines:
        return sorted({int(line) for line in lines if line.strip()})


def report_called(module, called, top):
    sizes = [(module.sizes.get(index, 0), index) for index in called]
    total = sum(size for size, _ in sizes)
    everything = sum(module.sizes.values())
    print(f"called: {len(called)} of {len(module.sizes)} functions,"
          f" {total} of {everything} bytes of code")
    groups = collections.defaultdict(lambda: [0, 0])
    for size, index in sizes:
        group = groups[origin(module.name(index))]
        group[0] += size
        group[1] += 1
    print("\nbytes  functions  from")
    for group, (size, count) in sorted(groups.items(), key=lambda item: -item[1][0]):
        print(f"{size:6d}  {count:9d}  {group}")
    print(f"\nthe {top} largest called functions:")
    for size, index in sorted(sizes, reverse=True)[:top]:
        print(f"{size:6d}  {index:5d}  {module.name(index)}")


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "functions":
        module = Module(arguments[1])
        for index, size in sorted(module.sizes.items()):
            print(f"{index}\t{size}\t{module.name(index)}")
        return 0
    if len(arguments) in (3, 4) and arguments[0] == "called":
        module = Module(arguments[1])
        top = int(arguments[3]) if len(arguments) == 4 else 40
        report_called(module, read_called(arguments[2]), top)
        return 0
    if len(arguments) == 3 and arguments[0] == "total":
        module = Module(arguments[1])
        print(sum(module.sizes.get(index, 0) for index in read_called(arguments[2])))
        return 0
    if len(arguments) == 3 and arguments[0] == "same-code":
        same = Module(arguments[1]).code == Module(arguments[2]).code
        print("same code" if same else "the modules' code differs")
        return 0 if same else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
