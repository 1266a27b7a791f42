#!/bin/sh
# The Henan node of the two-node demo (issue 13, `make demo`): its own SQLite database
# and files under var/henan, http://127.0.0.1:8001, the six 信阳 counties; its delivery
# worker sends its cases' events to the Hubei node. Started by `make demo` beside Hubei.
set -eu
BIN=${BIN:-.venv/bin}
HENAN=$(pwd)/var/henan
PORT=${HENAN_PORT:-8001}
mkdir -p "$HENAN"
export TONGBAN_DEMO=1 TONGBAN_VAR_DIR="$HENAN" DATABASE_URL="sqlite:///$HENAN/tongban.sqlite3"
# the federation files `tongban seed-federation-demo` wrote for both nodes (Hubei's default)
export TONGBAN_FEDERATION_DIR="$(pwd)/var/pki/federation"
export TONGBAN_STATIC_ROOT="$(pwd)/var/static"
"$BIN/tongban" migrate --noinput >/dev/null
"$BIN/tongban" seed-demo >/dev/null  # idempotent
"$BIN/tongban" setup-pki >/dev/null
export TONGBAN_NODE_CODE=henan TONGBAN_NODE_NAME=河南
# Henan's worker sends the notifications of the applicants whose relation Henan holds
# (ADR 0127) into the demo's mail sink (var/mail, :8025), from its own sender address
export TONGBAN_EMAIL_PORT=${TONGBAN_EMAIL_PORT:-8025}
export TONGBAN_EMAIL_FROM=${HENAN_EMAIL_FROM:-tongban-henan@localhost}
trap 'kill $server $worker 2>/dev/null' EXIT INT TERM
TONGBAN_BIND=127.0.0.1:$PORT TONGBAN_WORKERS=1 "$BIN/tongban" serve >"$HENAN/server.log" 2>&1 &
server=$!
# the one background worker (ADR 0121): Henan's own notifications, messages to hubei,
# licence signing, the periodic jobs
"$BIN/tongban" run-worker >"$HENAN/worker.log" 2>&1 &
worker=$!
# the agreement handshake once both nodes answer (its fingerprints must match)
until "$BIN/tongban" federation check-agreement hubei GD-XY-2022 --jurisdiction 411526 \
    >/dev/null 2>&1; do sleep 5; done
echo "henan: node up on http://127.0.0.1:$PORT, GD-XY-2022 agreed with hubei"
wait $server
