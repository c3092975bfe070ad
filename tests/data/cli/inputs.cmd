# --strict stops at the first malformed line; without it every one is reported and skipped.
"$EQL" query --strict 'any where true' tests/data/cli/bad_lines.ndjson; echo "exit $?"
"$EQL" query 'any where true' tests/data/cli/bad_lines.ndjson | wc -l
# A search response without hits holds no events; an EQL search response holds its events.
"$EQL" query 'any where true' tests/data/cli/empty_hits.json
"$EQL" query 'any where true' tests/data/cli/empty_hits_one_line.json
"$EQL" query 'any where true' tests/data/cli/eql_events_response.json
"$EQL" query --format table 'any where true' tests/data/cli/eql_sequences_response.json
# A file that cannot be read: a line that starts with the command's name, exit 2.
"$EQL" query -q 'any where true' tests/data/cli/no_such_file.ndjson; echo "exit $?"
