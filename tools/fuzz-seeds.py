#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (docs/fuzzing.md).

  parse_fuzz: one file per distinct EQL query found in the detection-rules corpus, the
              Kibana export, the Elasticsearch conformance specs and the bundled rules;
  rules_fuzz: whole rule files: the bundled rules, the test data rule files, the Kibana
              export and every EQL rule file of the detection-rules corpus;
  event_fuzz: event files of at most 16 KiB: each ECS event of the shared event corpus and
              the bundled example events alone, runs of consecutive events as NDJSON, as a
              JSON array and as a search response, and the conformance events (given an
              `@timestamp`) in groups of ten, the same three ways.

Usage: tools/fuzz-seeds.py OUT_DIR [SHARED_DIR]
       (writes OUT_DIR/parse_fuzz, OUT_DIR/rules_fuzz, OUT_DIR/event_fuzz)
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


EVENT_SEED_BYTES = 16384  # tools/fuzz.sh runs event_fuzz with -max_len=16384


def event_seeds(events):
    """The ways a run of events is written: NDJSON, a JSON array, a search response."""
    lines = [json.dumps(e, separators=(",", ":")) for e in events]
    yield "\n".join(lines) + "\n"
    yield "[\n" + ",\n".join(lines) + "\n]\n"
    hits = [{"_index": "logs", "_id": str(i), "_source": e} for i, e in enumerate(events)]
    yield json.dumps({"took": 1, "hits": {"total": {"value": len(hits)}, "hits": hits}}, indent=1)


def ndjson_events(path):
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            events.append(item)
    return events


def write_event_seeds(directory, shared):
    count = 0
    groups = []
    sources = sorted((shared / "corpus" / "events").glob("*.ndjson")) + sorted((ROOT / "rules").rglob("*.ndjson"))
    for path in sources:
        events = ndjson_events(path)
        groups += [[e] for e in events]
        groups += [events[i:i + 3] for i in range(0, len(events), 3)]
    conformance = shared / "conformance" / "es-eql"
    endgame = json.loads((conformance / "test_data.json").read_text(encoding="utf-8"))
    for event in endgame:
        # Windows FILETIME (100 ns since 1601) as epoch milliseconds, as the conformance runner reads it.
        if isinstance(event.get("timestamp"), int):
            event["@timestamp"] = event["timestamp"] // 10_000 - 11_644_473_600_000
    groups += [endgame[i:i + 10] for i in range(0, len(endgame), 10)]
    for path in sorted((conformance / "data").glob("*.data")):
        data = json.loads(path.read_text(encoding="utf-8"))
        groups += [data[i:i + 10] for i in range(0, len(data), 10)]
    for group in groups:
        for text in event_seeds(group):
            if len(text.encode("utf-8")) <= EVENT_SEED_BYTES:
                write_seed(directory, text)
                count += 1
    return count


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared"
    parse_dir, rules_dir, event_dir = out / "parse_fuzz", out / "rules_fuzz", out / "event_fuzz"
    for directory in (parse_dir, rules_dir, event_dir):
        directory.mkdir(parents=True, exist_ok=True)

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
    events = write_event_seeds(event_dir, shared)
    print(f"fuzz-seeds: {len(queries)} queries in {parse_dir}, {len(rule_files)} rule files in {rules_dir}, "
          f"{events} event files in {event_dir}")


if __name__ == "__main__":
    main()
