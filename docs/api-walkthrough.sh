#!/usr/bin/env bash
# The lead-to-opportunity walk-through through the API, against a running server:
#   BASE=http://127.0.0.1:8000 docs/api-walkthrough.sh   (with .venv/bin on PATH)
set -u
TMP=$(mktemp -d)
BASE=${BASE:-http://127.0.0.1:8000}/api/v1
TOKEN=$(opportune token issue alice)
api() { local method=$1 path=$2; shift 2
  curl -s -X "$method" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -w '\n<- HTTP %{http_code}\n' "$BASE$path" "$@"; }
echo '## 1. A new, unqualified lead'
api POST /leads -d '{"first_name":"Grace","last_name":"Hopper","company":"Cobol Systems Inc.","email":"grace@cobol.example","source":"event"}' | tee "$TMP/lead.json"
LEAD=$(head -1 "$TMP/lead.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo; echo '## 2. Converting it is refused, with the missing criteria'
api POST /leads/$LEAD/convert -d '{}'
echo; echo '## 3. Qualify it (BANT), then convert'
api PATCH /leads/$LEAD -d '{"status":"qualified","need_identified":true,"budget_confirmed":true,"budget_amount":"36000","authority_confirmed":true,"decision_maker":"Grace Hopper"}' | tail -1
api POST /leads/$LEAD/convert -d '{}' | tee "$TMP/conv.json" | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print({k:d[k] for k in ("account_id","contact_id","opportunity_id")}, "lead status:", d["lead"]["status"])'
tail -1 "$TMP/conv.json"
OPP=$(head -1 "$TMP/conv.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["opportunity_id"])')
echo; echo '## 4. A second conversion is a conflict; so is editing the converted lead'
api POST /leads/$LEAD/convert -d '{}'
api PATCH /leads/$LEAD -d '{"title":"Rear Admiral"}'
echo; echo '## 5. The opportunity, moved to negotiation'
api GET /opportunities/$OPP | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print({k:d[k] for k in ("name","stage","amount","probability","forecast_category","close_date")})'
api PATCH /opportunities/$OPP -d '{"stage":"negotiation"}' | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print({k:d[k] for k in ("stage","probability","forecast_category","expected_revenue")})'
echo; echo '## 6. Closing lost without a reason is refused; with one it closes'
api PATCH /opportunities/$OPP -d '{"stage":"closed_lost"}'
api PATCH /opportunities/$OPP -d '{"stage":"closed_lost","lost_reason":"competitor"}' | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print({k:d[k] for k in ("stage","is_closed","is_won","lost_reason","probability","forecast_category")})'
echo; echo '## 7. The history rows'
api GET /opportunities/$OPP/history
echo; echo '## 8. Another rep cannot see it'
BOB=$(opportune token issue bob)
curl -s -H "Authorization: Bearer $BOB" -w '\n<- HTTP %{http_code}\n' "$BASE/opportunities/$OPP"
