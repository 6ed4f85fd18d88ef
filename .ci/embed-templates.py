#!/usr/bin/env python3
"""Writes Sources/IntroKit/Templates/BuiltinTemplates.swift from Templates/ and
Sources/IntroKit/Onboarding/SampleFiles.swift from config/sample/.

The built-in templates ship inside the intro binary as Swift string literals;
`make templates` runs this after a template changes, and a test fails when the
generated file is out of date.
"""
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
source_dir = os.path.join(root, "Templates")
target = os.path.join(root, "Sources", "IntroKit", "Templates", "BuiltinTemplates.swift")


def literal(text):
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def embed(source_dir, suffixes, target, enum, doc):
    entries = []
    for dirpath, _, files in os.walk(source_dir):
        for name in files:
            if not name.endswith(suffixes):
                continue
            path = os.path.join(dirpath, name)
            key = os.path.relpath(path, source_dir).replace(os.sep, "/")
            if key.endswith(".mustache"):
                key = key[: -len(".mustache")]
            with open(path, encoding="utf-8", newline="") as f:
                entries.append((key, f.read()))
    entries.sort()
    lines = [
        "// swift-format-ignore-file",
        f"// Generated from {os.path.relpath(source_dir, root)}/ by `make templates` (.ci/embed-templates.py). Do not edit.",
        "",
        f"/// {doc}",
        f"enum {enum} {{",
        "  static let sources: [String: String] = [",
    ]
    for key, text in entries:
        lines.append(f"    {literal(key)}:")
        lines.append(f"      {literal(text)},")
    lines += ["  ]", "}", ""]
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
    print(f"wrote {len(entries)} files to {os.path.relpath(target, root)}", file=sys.stderr)


embed(source_dir, (".mustache",), target, "BuiltinTemplates",
      "The built-in templates, by name, as they are in `Templates/`.")
embed(os.path.join(root, "config", "sample"), (".csv", ".toml", ".txt"),
      os.path.join(root, "Sources", "IntroKit", "Onboarding", "SampleFiles.swift"), "SampleFiles",
      "The sample home `intro init --sample` creates, by file name, as it is in `config/sample/`.")
