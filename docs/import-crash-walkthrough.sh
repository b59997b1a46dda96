#!/bin/bash
# kill -9 a worker in the middle of an import, resume it, and compare with a clean run, on
# each database of $DBS (NAME is replaced by a scratch name), as
# opportune/imports/tests/test_import_crash.py does, with the counts printed:
#   DBS="sqlite:////tmp/crashdemo/NAME.sqlite3 postgres://opportune:opportune@localhost:5432/NAME" \
#     docs/import-crash-walkthrough.sh
# (PostgreSQL databases are dropped and created as the postgres system user.)
set -e
WORK=${WORK:-/tmp/crashdemo}; mkdir -p "$WORK"
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=opportune.settings OPPORTUNE_IMPORT_HELPERS=2 OPPORTUNE_DATA_DIR=$WORK/data
.venv/bin/python -c "
import sys; sys.path.insert(0,'.')
from opportune.imports.tests.test_import_crash import _content
open('$WORK/leads.csv','w').write(_content())"
for db in $DBS; do
  for run in clean killed; do
    url=$(echo $db | sed "s/NAME/crashdemo_$run/")
    if [[ $url == postgres* ]]; then su postgres -c "psql -qc 'DROP DATABASE IF EXISTS crashdemo_$run' -c 'CREATE DATABASE crashdemo_$run OWNER opportune'" >/dev/null; else rm -f $WORK/crashdemo_$run.sqlite3; fi
    export DATABASE_URL=$url
    .venv/bin/python -m django migrate -v0
    job=$(.venv/bin/python -m opportune.imports.tests.crash_child setup $WORK/leads.csv)
    if [ $run = clean ]; then
      .venv/bin/python -m opportune.imports.tests.crash_child run $job never 0 $WORK/pids
    else
      .venv/bin/python -m opportune.imports.tests.crash_child run $job in-batch 6 $WORK/pids || echo "worker exit status $? (killed by SIGKILL: 137)"
      for _ in $(seq 50); do  # the kernel ends them on the worker's death: give it 5 s
        alive=$(for p in $(cat $WORK/pids); do grep -qs '^State:.*[RSD]' /proc/$p/status && echo $p; done | wc -l)
        [ "$alive" = 0 ] && break; sleep 0.1
      done
      echo "checking helpers still running: $alive"
      echo "after kill: $(.venv/bin/python -m opportune.imports.tests.crash_child dump $job | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["counts"])')"
      PGOPTIONS="-c lock_timeout=5s" .venv/bin/python -m opportune.imports.tests.crash_child resume $job
    fi
    echo "$(echo $url | cut -d: -f1) $run: $(.venv/bin/python -m opportune.imports.tests.crash_child dump $job | python3 -c 'import json,sys; d=json.load(sys.stdin); print("status, rows, created, skipped, invalid =", d["counts"], "; leads", len(d["leads"]), "; reported rows", len(d["reported"]))')"
  done
done
