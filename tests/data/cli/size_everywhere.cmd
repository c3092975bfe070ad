# One name for the result limit: --size in query and shell, --limit the same in both.
"$EQL" query --size 1 'process where true' rules/events/windows_wmi_cmd.jsonl | wc -l
"$EQL" query --limit 1 'process where true' rules/events/windows_wmi_cmd.jsonl 2>&1 >/dev/null
echo 'process where true' | "$EQL" shell --no-history --size 1 rules/events/windows_wmi_cmd.jsonl
echo 'process where true' | "$EQL" shell --no-history --limit 2 rules/events/windows_wmi_cmd.jsonl | tail -1
