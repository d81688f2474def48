#!/usr/bin/env bash
# Points written through the InfluxDB Service (kube-proxy → the agent sidecar → the local
# InfluxDB) reach the remote, identical, and are stored locally too.
source "$(dirname "$0")/lib.sh"
cluster_require

now=$(date +%s%N)
body=""
for i in $(seq 1 100); do
  body+="e2e_basic,host=edge-1,seq=$i v=${i}i,f=$i.5,s=\"point $i\",b=true $((now + i))"$'\n'
done
code=$(write_lines "db=edge" "$body")
[ "$code" = 204 ] || fail "write through the Service answered $code"

wait_for 60 "100 points at the remote" remote_has e2e_basic 100 ||
  fail "remote holds $(remote_count e2e_basic) of 100 points"

local_count=$(curl -sf -G "$(service_url)/query" --data-urlencode db=edge \
  --data-urlencode "q=SELECT count(v) FROM e2e_basic" | jq '.results[0].series[0].values[0][1]')
[ "$local_count" = 100 ] || fail "local holds $local_count of 100 points"

# Every field type arrives exactly as written.
remote_row=$(remote_query "SELECT * FROM e2e_basic WHERE seq='7'" | jq -c '.results[0].series[0].values[0]')
local_row=$(curl -sf -G "$(service_url)/query" --data-urlencode db=edge \
  --data-urlencode "q=SELECT * FROM e2e_basic WHERE seq='7'" | jq -c '.results[0].series[0].values[0]')
[ "$remote_row" = "$local_row" ] || fail "point 7 differs: local $local_row, remote $remote_row"
log "100 points local and at the remote; point 7 identical: $remote_row"
