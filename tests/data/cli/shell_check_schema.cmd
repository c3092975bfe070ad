# The shell checks queries as eql query does: --check error refuses a query with a type
# error, --check off shows no finding, --schema adds fields; a bad --check is a usage error.
q='process where process.pid == "4"'
echo "$q" | "$EQL" shell -q --no-history rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
echo "$q" | "$EQL" shell -q --no-history --check error rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
echo "$q" | "$EQL" shell -q --no-history --check off rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
echo 'process where acme.score > 1' | "$EQL" shell -q --no-history --check error rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
echo 'process where acme.score > 1' | "$EQL" shell -q --no-history --check error --schema tests/data/cli/acme_schema.json rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
"$EQL" shell --check maybe --no-history
