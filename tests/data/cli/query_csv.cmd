# --format csv: the table's columns as CSV (a value with a comma or quote is quoted); for a
# sequence one line per event with the match number, join keys and stage.
"$EQL" query -q --format csv 'process where process.name : "cmd.exe" | head 2' rules/events/windows_wmi_cmd.jsonl
"$EQL" query -q --format csv 'process where true | count process.name' rules/events/windows_wmi_cmd.jsonl
"$EQL" query -q --format csv 'sequence by host.id [process where true] [network where true]' tests/data/events/sequence_out_of_order.ndjson
