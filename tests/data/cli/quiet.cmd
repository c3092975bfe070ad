# -q: query drops its summary, parse prints nothing for a valid query, the shell drops notes.
"$EQL" query -q 'process where process.name == "CMD.EXE"' rules/events/windows_wmi_cmd.jsonl
"$EQL" parse -q 'process where true'; echo "exit $?"
"$EQL" parse -q 'process where a = 1'; echo "exit $?"
printf '%s\n' 'process where process.name == "CMD.EXE"' '.json' 'process where process.name == "CMD.EXE"' |
  "$EQL" shell -q --no-history rules/events/windows_wmi_cmd.jsonl
