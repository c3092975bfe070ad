#!/usr/bin/env python3
"""Generate the project's embedded field schemas from the detection-rules schema files.

Dev-time only (python3 standard library). Reads the folder given by --source (default
../shared/schemas next to the repository) and writes schemas/eql-schemas.txt.gz, the compact
form the build embeds into the binary (cmake/EmbedSchemas.cmake). Re-run it when the source
files change and commit the output; the program never reads the source files.

Output format (UTF-8 text, then gzip with a fixed header so the output is reproducible):

    # comment lines
    [<section kind> <section name>]
    <field><TAB><es type>[<TAB>array]

(Field names may start with `@`, never with `[`.)

Section kinds: `ecs` (one section), `non-ecs <index pattern>`, `endpoint`, `defend` (Elastic
Defend's own fields from the endpoint package's data streams, for the endpoint dialect; those
of ECS and `endpoint` left out), `endgame`,
`allowed <ECS field>` (one allowed value per line instead of fields), `beat <beat name>`, `integration <package>/<data stream>`, `package <name> <version> <latest>` (the
newest version of the package in the schema copy, `-` when absent, and the newest version
the package manifests know; it lists no fields).
Integration fields already defined by ECS are left out: ECS types win anyway.
"""

import argparse
import gzip
import io
import json
import os
import re
import sys

def version_key(version):
    """Sort key for package versions such as 1.10.0 or 2.0.0-preview1."""
    parts = re.split(r"[.\-]", version)
    return [(0, int(p)) if p.isdigit() else (-1, p) for p in parts]


def flatten_mapping(tree, prefix, out):
    """Flatten {"a": {"b": "keyword"}} and {"a": {"type": "keyword"}} into dotted names."""
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, dict):
            # A mapping written as {"type": "keyword"} describes the field itself.
            if set(value) == {"type"} and isinstance(value["type"], str):
                out[name] = value["type"]
            else:
                flatten_mapping(value, name, out)
        # lists (machine-learning job names in the integration copy) are not fields


def load_ecs(source):
    with gzip.open(os.path.join(source, "ecs-9.5.0-flat.json.gz"), "rt", encoding="utf-8") as f:
        ecs = json.load(f)
    fields = {}
    for name, spec in ecs.items():
        array = "array" in (spec.get("normalize") or [])
        fields[name] = (spec["type"], array)
        for multi in spec.get("multi_fields") or []:
            fields[multi["flat_name"]] = (multi["type"], False)
    return fields


def unquote(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def read_fields_yml(path):
    """{field: type} of an ECS-style fields.yml, read without a YAML library.

    The subset the endpoint package writes: a list of `- name:` entries with `type:` and,
    for groups, a nested `fields:` list whose names continue the group's path. Other nested
    keys (multi_fields, allowed_values, normalize...) are skipped; groups and aliases are no
    fields of their own.
    """
    out = {}
    stack = []  # (indent of the entry's dash, full name)
    skip_deeper_than = None  # inside a nested key other than `fields:`
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip()
            stripped = line.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(line) - len(stripped)
            if skip_deeper_than is not None:
                if indent > skip_deeper_than:
                    continue
                skip_deeper_than = None
            if stripped.startswith("- name:"):
                while stack and stack[-1][0] >= indent:
                    stack.pop()
                name = unquote(stripped[len("- name:"):].strip())
                full = f"{stack[-1][1]}.{name}" if stack else name
                stack.append((indent, full))
                out[full] = None
            elif stack and indent == stack[-1][0] + 2:
                key, _, value = stripped.partition(":")
                if key == "type":
                    out[stack[-1][1]] = unquote(value.strip())
                elif not value.strip() and key != "fields":
                    skip_deeper_than = indent
    return {name: kind for name, kind in out.items() if kind and kind not in ("group", "alias")}


def load_defend(source, known):
    """Elastic Defend's fields of every endpoint-package data stream that `known` lacks."""
    folder = os.path.join(source, "endpoint-package")
    fields = {}
    for stream in sorted(os.listdir(folder)):
        path = os.path.join(folder, stream, "fields.yml")
        if not os.path.isfile(path):
            continue
        for name, kind in read_fields_yml(path).items():
            if name not in known:
                fields.setdefault(name, (kind, False))
    return fields


def beats_fields(entries, prefix, out, aliases):
    """Walk a beats fields.yml list: `type: group` nests, no type means keyword."""
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        name = entry.get("name")
        kind = entry.get("type")
        if name is None:
            # top-level `key:` sections carry no name prefix
            beats_fields(entry.get("fields"), prefix, out, aliases)
            continue
        full = f"{prefix}.{name}" if prefix else str(name)
        if kind == "group" or (kind is None and entry.get("fields")):
            if kind is None and not entry.get("fields"):
                out[full] = "keyword"
            beats_fields(entry.get("fields"), full, out, aliases)
        elif kind == "alias":
            aliases[full] = entry.get("path", "")
        else:
            out[full] = kind or "keyword"
            # multi-fields of a beats field (e.g. message.text)
            for multi in entry.get("multi_fields") or []:
                if isinstance(multi, dict) and multi.get("name"):
                    out[f"{full}.{multi['name']}"] = multi.get("type", "keyword")


def load_beat(tree):
    out, aliases = {}, {}

    def walk(node, path):
        for folder, child in (node.get("folders") or {}).items():
            if folder in ("testdata", "test", "tests"):
                continue
            walk(child, path + [folder])
        for file_name, content in (node.get("files") or {}).items():
            if "testdata" in path or not isinstance(content, list):
                continue
            beats_fields(content, "", out, aliases)

    walk(tree, [])
    for name, target in aliases.items():
        if name not in out and target in out:
            out[name] = out[target]
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=os.path.join(repo, "..", "shared", "schemas"))
    parser.add_argument("--output", default=os.path.join(repo, "schemas", "eql-schemas.txt.gz"))
    args = parser.parse_args()
    source = args.source

    lines = ["# eql embedded schemas, generated by tools/gen_schemas.py; do not edit"]

    def section(header, fields):
        if not fields:
            return  # e.g. a data stream whose every field is an ECS field
        lines.append("[" + header + "]")
        for name in sorted(fields):
            es_type, array = fields[name]
            lines.append(f"{name}\t{es_type}" + ("\tarray" if array else ""))

    ecs = load_ecs(source)
    section("ecs", ecs)

    # ECS categorisation fields list their allowed values (event.category, event.type...):
    # `[allowed <field>]` then one value per line.
    with gzip.open(os.path.join(source, "ecs-9.5.0-flat.json.gz"), "rt", encoding="utf-8") as f:
        ecs_specs = json.load(f)
    for name in sorted(ecs_specs):
        values = [v["name"] for v in ecs_specs[name].get("allowed_values") or [] if v.get("name")]
        if values:
            lines.append(f"[allowed {name}]")
            lines.extend(sorted(values))

    with open(os.path.join(source, "non-ecs-schema.json"), encoding="utf-8") as f:
        non_ecs = json.load(f)
    for pattern, tree in non_ecs.items():
        flat = {}
        flatten_mapping(tree, "", flat)
        section(f"non-ecs {pattern}", {k: (v, False) for k, v in flat.items()})

    with gzip.open(os.path.join(source, "endpoint-process.json.gz"), "rt", encoding="utf-8") as f:
        endpoint = {}
        flatten_mapping(json.load(f), "", endpoint)
    section("endpoint", {k: (v, False) for k, v in endpoint.items()})
    section("defend", load_defend(source, set(ecs) | set(endpoint)))

    with gzip.open(os.path.join(source, "endgame-8.4.0.json.gz"), "rt", encoding="utf-8") as f:
        endgame = {}
        flatten_mapping(json.load(f), "", endgame)
    section("endgame", {k: (v, False) for k, v in endgame.items()})

    with gzip.open(os.path.join(source, "beats-9.5.0.json.gz"), "rt", encoding="utf-8") as f:
        beats = json.load(f)
    for beat in sorted(beats):
        fields = load_beat(beats[beat])
        section(f"beat {beat}", {k: (v, False) for k, v in fields.items() if k not in ecs})

    with gzip.open(os.path.join(source, "integration-schemas-2024-07.json.gz"), "rt",
                   encoding="utf-8") as f:
        integrations = json.load(f)
    for package in sorted(integrations):
        streams = {}
        # union over every version, the newest version's type winning
        for version in sorted(integrations[package], key=version_key):
            for stream, tree in integrations[package][version].items():
                if not isinstance(tree, dict):
                    continue
                flat = {}
                flatten_mapping(tree, "", flat)
                streams.setdefault(stream, {}).update(flat)
        for stream in sorted(streams):
            fields = {k: (v, False) for k, v in streams[stream].items() if k not in ecs}
            section(f"integration {package}/{stream}", fields)

    with gzip.open(os.path.join(source, "integration-manifests.json.gz"), "rt",
                   encoding="utf-8") as f:
        manifests = json.load(f)
    # `[package <name> <newest version in the schema copy or -> <newest published version>]`:
    # lets the checker say when the embedded copy of a package predates the rules using it.
    for package in sorted(set(manifests) | set(integrations)):
        embedded = max(integrations[package], key=version_key) if package in integrations else "-"
        latest = max(manifests[package], key=version_key) if package in manifests else embedded
        lines.append(f"[package {package} {embedded} {latest}]")

    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(args.output, "wb") as f:
        f.write(buffer.getvalue())
    sections = sum(1 for line in lines if line.startswith("["))
    fields = sum(1 for line in lines if "\t" in line)
    print(f"wrote {args.output}: {sections} sections, {fields} fields, "
          f"{len(text)} bytes of text, {len(buffer.getvalue())} bytes compressed", file=sys.stderr)


if __name__ == "__main__":
    main()
