# A bad option is one line naming the command and a pointer to its help (exit 2).
"$EQL" query --size x 'any where true' rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
"$EQL" query --format yaml 'any where true' rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
"$EQL" query --bogus 'any where true'; echo "exit $?"
"$EQL" query; echo "exit $?"
"$EQL" parse --color=sometimes 'any where true'; echo "exit $?"
"$EQL" parse; echo "exit $?"
"$EQL" shell --size -1 --no-history; echo "exit $?"
"$EQL" shell --bogus --no-history
