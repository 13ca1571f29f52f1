# untie.jq: a trail's records (jq -s: one array) in eventTime order, each second holding one
# record at most: a record whose second is taken moves on to the next free one (a few seconds
# at most in a generated trail). replay applies records in eventTime order and breaks ties by
# eventID hash; consume applies them in partition order: without ties, both are file order,
# so a test can ask consume for replay's findings (order.sh, storm.sh).
sort_by(.eventTime)
| reduce .[] as $r ({out: [], last: -1};
    ($r.eventTime | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) as $t
    | (if $t > .last then $t else .last + 1 end) as $u
    | .last = $u
    | .out += [$r | .eventTime = ($u | todate)])
| .out[]
