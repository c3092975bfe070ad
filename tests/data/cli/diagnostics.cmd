# A wrong arity once, in good grammar; did-you-mean for keywords; Python eql functions
# turned into Elasticsearch EQL; a hunting pipe after a sequence shown against the pipe.
"$EQL" query 'process where length(process.name, 2) > 1' rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
"$EQL" query 'process where length() > 1' rules/events/windows_wmi_cmd.jsonl; echo "exit $?"
"$EQL" parse 'sequnce by host.id [process where true] [network where true]'
"$EQL" parse 'process where process.name == "a" adn process.pid == 4'
"$EQL" parse 'process where process.name == "a" AND process.pid == 4'
"$EQL" parse 'process where process.name == "a" abc process.pid == 4'
"$EQL" parse 'process where wildcard(process.name, "cmd*", "pwsh*")'
"$EQL" parse 'process where arrayContains(process.args, "-enc")'
"$EQL" parse 'process where match(process.command_line, ".*http.*")'
"$EQL" query 'sequence [process where true] [network where true] | count host.id' tests/data/events/sequence_out_of_order.ndjson; echo "exit $?"
"$EQL" query 'sample by host.id [process where true] [network where true] | sort host.id' tests/data/events/sequence_out_of_order.ndjson; echo "exit $?"
"$EQL" query --check off 'sequence [process where cidrMatch(source.ip, "x")] [network where true]' tests/data/events/sequence_out_of_order.ndjson; echo "exit $?"
