# Durations of options accept 0s (no reordering window); maxspan stays positive, as in
# Elasticsearch; a decimal maxspan is answered with the same span in a whole unit.
"$EQL" query --max-lateness 0s 'sequence by host.id [process where true] [network where true]' - < tests/data/events/sequence_out_of_order.ndjson
"$EQL" query --max-lateness 1.5s 'sequence [process where true] [network where true]' -; echo "exit $?"
"$EQL" parse 'sequence with maxspan=0s [a where true] [b where true]'
"$EQL" parse 'sequence with maxspan=1.5m [a where true] [b where true]'
"$EQL" parse 'sequence with maxspan=0.25h [a where true] [b where true]'
