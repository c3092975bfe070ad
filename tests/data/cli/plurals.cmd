# Counts agree with their nouns: 1 event, 1 sequence, 1 line.
"$EQL" query -q 'process where true' tests/data/cli/bad_lines.ndjson > /dev/null
"$EQL" query 'process where n == 4' tests/data/cli/bad_lines.ndjson
head -1 tests/data/cli/bad_lines.ndjson | "$EQL" query 'any where true' > /dev/null
"$EQL" query 'sequence by host.id [process where true] [network where true] | head 1' tests/data/events/sequence_out_of_order.ndjson > /dev/null
head -1 tests/data/cli/bad_lines.ndjson | setsid sh -c '"$0" shell --no-history -' "$EQL"
printf '%s\n' '.fields event.' 'sequence by host.id [process where true] [network where true] | head 1' '.explain sequence [process where process.name == "cmd.exe"] [network where true]' |
  "$EQL" shell --no-history tests/data/events/sequence_out_of_order.ndjson
