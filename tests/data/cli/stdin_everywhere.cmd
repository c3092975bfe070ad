# `-` reads standard input: a query's events, a parse's query, the shell's events (with no
# terminal to read commands from afterwards, the shell then ends).
"$EQL" query 'process where process.name == "CMD.EXE"' - < rules/events/windows_wmi_cmd.jsonl | wc -l
echo 'process where true' | "$EQL" parse -
setsid sh -c '"$0" shell --no-history - < rules/events/windows_wmi_cmd.jsonl' "$EQL" < /dev/null
