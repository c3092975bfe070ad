#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (docs/fuzzing.md).

  parse_fuzz: one file per distinct EQL query found in the detection-rules corpus, the
              Kibana export, the Elasticsearch conformance specs and the bundled rules;
  rules_fuzz: whole rule files: the bundled rules, the test data rule files, the Kibana
              export and every EQL rule file of the detection-rules corpus.

Usage: tools/fuzz-seeds.py OUT_DIR [SHARED_DIR]   (writes OUT_DIR/parse_fuzz, OUT_DIR/rules_fuzz)
Dev-time only: the product never reads ../shared.
"""
import hashlib
import json
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def write_seed(directory, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = hashlib.sha1(data).hexdigest()
    (directory / name).write_bytes(data)


def toml_queries(path):
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    found = []
    rule = document.get("rule")
    if isinstance(rule, dict) and rule.get("language") == "eql" and isinstance(rule.get("query"), str):
        found.append(rule["query"])
    for entry in document.get("queries", []):  # conformance spec files
        if isinstance(entry, dict) and isinstance(entry.get("query"), str):
            found.append(entry["query"])
    return found


def kibana_queries(path):
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and item.get("language") == "eql" and isinstance(item.get("query"), str):
            found.append(item["query"])
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared"
    parse_dir, rules_dir = out / "parse_fuzz", out / "rules_fuzz"
    parse_dir.mkdir(parents=True, exist_ok=True)
    rules_dir.mkdir(parents=True, exist_ok=True)

    queries = set()
    rule_files = []
    corpus = shared / "corpus" / "detection-rules"
    for path in sorted(corpus.rglob("*.toml")):
        found = toml_queries(path)
        if found:
            rule_files.append(path)
            queries.update(found)
    for path in sorted((shared / "conformance").rglob("*.toml")):
        queries.update(toml_queries(path))
    for path in sorted((shared / "corpus" / "kibana-export").glob("*.ndjson")):
        rule_files.append(path)
        queries.update(kibana_queries(path))
    for directory in (ROOT / "rules", ROOT / "tests" / "data" / "rules"):
        for path in sorted(directory.rglob("*")):
            if path.suffix == ".toml":
                queries.update(toml_queries(path))
            elif path.suffix == ".ndjson":
                queries.update(kibana_queries(path))
            elif path.suffix == ".eql":
                queries.add(path.read_text(encoding="utf-8", errors="replace"))
            else:
                continue
            rule_files.append(path)

    for query in queries:
        write_seed(parse_dir, query)
    for path in rule_files:
        write_seed(rules_dir, path.read_bytes())
    print(f"fuzz-seeds: {len(queries)} queries in {parse_dir}, {len(rule_files)} rule files in {rules_dir}")


if __name__ == "__main__":
    main()
