#!/usr/bin/env bash
# Contract fuzzing: schemathesis sends generated requests, valid and invalid, for every
# operation of shared/openapi.json to a local system it starts here (in-memory data, its own
# ports), and fails on any 5xx or any response the document does not describe.
#   scripts/contract-fuzz.sh [EXAMPLES_PER_OPERATION]   (make fuzz: 200; make test: 25)
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${1:-25}
export CORPNUM_API_PORT=${CORPNUM_FUZZ_API_PORT:-3900}
export CORPNUM_DYNAMODB_PORT=${CORPNUM_FUZZ_DYNAMODB_PORT:-8900}
export CORPNUM_MOTO_PORT=${CORPNUM_FUZZ_MOTO_PORT:-5900}
export CORPNUM_DATA_DIR=memory
export RUST_LOG=warn

cargo build -q -p corpnum-local
mkdir -p .local
./target/debug/corpnum-local serve > .local/fuzz-server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

base="http://127.0.0.1:${CORPNUM_API_PORT}"
for _ in $(seq 1 120); do
  curl -sf "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat .local/fuzz-server.log; exit 1; }
  sleep 0.5
done
curl -sf "$base/health" >/dev/null || { echo "local system did not come up"; cat .local/fuzz-server.log; exit 1; }

token=$(./target/debug/corpnum-local token --org-inn 7707083893 --scope "corpnum/org corpnum/operator" --sub fuzz)
.venv/bin/st run shared/openapi.json \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" \
  --seed 20261122 \
  --generation-deterministic \
  --request-timeout 10 \
  --report junit --report-dir .local/fuzz-report
