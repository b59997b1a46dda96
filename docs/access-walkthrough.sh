#!/usr/bin/env bash
# One policy, one filter, soft deletes: the same answers through the API, the pages, the
# exports and the CLI, against a running server with the demo data (bin/run):
#   PASSWORD=<the demo users' shared password, printed by bin/run> \
#   BASE=http://127.0.0.1:8000 docs/access-walkthrough.sh   (with .venv/bin on PATH)
set -u
BASE=${BASE:-http://127.0.0.1:8000}
PASSWORD=${PASSWORD:?set PASSWORD to the shared password of the demo users, printed by bin/run}
TMP=$(mktemp -d)
ALICE=$(opportune token issue alice) MARK=$(opportune token issue mark)
api() { local token=$1 method=$2 path=$3; shift 3
  curl -s -X "$method" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
       -w '\n<- HTTP %{http_code}\n' "$BASE/api/v1$path" "$@"; }
first_id() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["items"][0]["id"])'; }
ids_json() { python3 -c 'import json,sys; print(sorted(i["id"] for i in json.loads(sys.stdin.readline())["items"]))'; }
ids_csv() { python3 -c 'import csv,io,sys; rows = csv.DictReader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")); print(sorted(int(r["id"]) for r in rows))'; }
login() { # a session cookie for the pages, as a browser gets it
  local jar=$1 user=$2 password=$3
  curl -s -c "$jar" -b "$jar" "$BASE/login/" -o "$TMP/login.html"
  local csrf; csrf=$(grep csrftoken "$jar" | awk '{print $7}')
  curl -s -c "$jar" -b "$jar" -o /dev/null -H "Referer: $BASE/login/" \
       -d "csrfmiddlewaretoken=$csrf&username=$user&password=$password" "$BASE/login/"; }

DEAL=$(api "$ALICE" GET '/opportunities?state=open&limit=1' | first_id)
echo "## 1. Marketing asks for Alice's opportunity $DEAL: a 404 in the API and in the pages"
api "$MARK" GET "/opportunities/$DEAL" | tail -1
login "$TMP/mark.jar" mark "$PASSWORD"
curl -s -b "$TMP/mark.jar" -o /dev/null -w "<- page HTTP %{http_code}\n" "$BASE/opportunities/$DEAL/"

echo; echo "## 2. Marketing may not reassign a rep's lead (403, with the reason)"
LEAD=$(api "$ALICE" GET '/leads?owner=me&limit=1' | first_id)
api "$MARK" PATCH "/leads/$LEAD" -d '{"owner_id": null}'

echo; echo "## 3. One filter, the same ids: page, page's export, API list, API export, CLI export"
Q='status=all&source=web&sort=-created'
login "$TMP/alice.jar" alice "$PASSWORD"
curl -s -b "$TMP/alice.jar" "$BASE/leads/?$Q" | grep -o 'href="/leads/[0-9]*/"' |
  grep -o '[0-9]*' | sort -un | python3 -c 'import sys; print(sorted(int(l) for l in sys.stdin))'
curl -s -b "$TMP/alice.jar" "$BASE/imports/export/leads.csv?$Q" | ids_csv
api "$ALICE" GET "/leads?$Q&limit=200" | ids_json
curl -s -H "Authorization: Bearer $ALICE" "$BASE/api/v1/exports/leads?$Q" | ids_csv
opportune export leads --user alice --filter status=all --filter source=web | ids_csv
echo; echo "## 4. An unknown value or parameter is a 422 naming it, everywhere"
api "$ALICE" GET '/leads?status=nosuch' | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["errors"])'
api "$ALICE" GET '/leads?colour=red' | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["errors"])'
opportune export leads --user alice --filter status=nosuch >/dev/null; echo "<- CLI exit $?"

echo; echo "## 5. Delete an opportunity: gone from lists, in the bin, restored with its history"
NEW=$(api "$ALICE" GET '/opportunities?state=open&limit=1' | first_id)
api "$ALICE" DELETE "/opportunities/$NEW" | tail -1
api "$ALICE" GET "/opportunities/$NEW" | tail -1
api "$ALICE" GET '/recycle-bin?limit=3'
api "$ALICE" POST "/opportunities/$NEW/restore" | tail -1
api "$ALICE" GET "/opportunities/$NEW/changes?limit=3"
