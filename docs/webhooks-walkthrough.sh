#!/bin/bash
# Webhooks end to end, on a throw-away SQLite installation: a real server, the receiver of
# docs/examples/webhook_receiver.py, a subscription and a lead through the API, the worker
# delivering it signed; then a receiver with the wrong secret refusing a redelivery.
#   bash docs/webhooks-walkthrough.sh
set -e
cd "$(dirname "$0")/.."
export OPPORTUNE_DATA_DIR=$(mktemp -d) OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE=1 OPPORTUNE_LOG_LEVEL=WARNING
unset DATABASE_URL
O=.venv/bin/opportune
$O init >/dev/null
$O user add ada --role admin --password 'a-long-enough-secret-9' >/dev/null
TOKEN=$($O token issue ada --scope admin)
$O serve --port 8791 >"$OPPORTUNE_DATA_DIR/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE $RECV 2>/dev/null' EXIT
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8791/login/ && break; sleep 0.2; done
echo '$ curl -X POST /api/v1/webhooks {"url": "http://127.0.0.1:8792/hooks", "event_types": ["lead.created"]}'
CREATED=$(curl -s -X POST http://127.0.0.1:8791/api/v1/webhooks -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"url": "http://127.0.0.1:8792/hooks", "event_types": ["lead.created"], "description": "demo"}')
echo "$CREATED"
SECRET=$(echo "$CREATED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
echo '$ WEBHOOK_SECRET=<secret> python docs/examples/webhook_receiver.py 8792 &'
WEBHOOK_SECRET=$SECRET .venv/bin/python docs/examples/webhook_receiver.py 8792 > "$OPPORTUNE_DATA_DIR/receiver.log" 2>&1 &
RECV=$!
sleep 0.5
echo '$ curl -X POST /api/v1/leads {"last_name": "Lovelace", "company": "Analytical Engines"}'
curl -s -X POST http://127.0.0.1:8791/api/v1/leads -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"last_name": "Lovelace", "company": "Analytical Engines", "email": "ada@engines.example"}' | cut -c1-120; echo
echo '$ opportune worker --batch'
$O worker --batch 2>&1 | grep -v "^$" | tail -3 || true
sleep 0.3
echo '--- receiver output:'
cat "$OPPORTUNE_DATA_DIR/receiver.log"
echo '$ curl /api/v1/webhooks/1/deliveries'
curl -s http://127.0.0.1:8791/api/v1/webhooks/1/deliveries -H "Authorization: Bearer $TOKEN"; echo
echo '--- the same receiver with a wrong secret refuses it (redelivery):'
kill $RECV; sleep 0.3
WEBHOOK_SECRET=whsec_wrong .venv/bin/python docs/examples/webhook_receiver.py 8792 > "$OPPORTUNE_DATA_DIR/receiver2.log" 2>&1 &
RECV=$!
sleep 0.5
curl -s -X POST http://127.0.0.1:8791/api/v1/webhooks/deliveries/1/redeliver -H "Authorization: Bearer $TOKEN" | cut -c1-200; echo
$O worker --batch >/dev/null 2>&1 || true
sleep 0.3
cat "$OPPORTUNE_DATA_DIR/receiver2.log"
curl -s "http://127.0.0.1:8791/api/v1/webhooks/deliveries/2" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in ("id","status","attempts","response_status","error","next_attempt_at")})'
