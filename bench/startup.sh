#!/usr/bin/env bash
# Cold start: process start → first signed create answered with SUCCESS, for the emulator published as the Docker
# image publishes it (Release, ReadyToRun; EMULATOR_DLL=… measures another build), beside
# WireMock standalone (npm package `wiremock`, which bundles its jar; needs java) from process start to its first
# answer, measured the same way.
#   bench/startup.sh [runs]       prints each run, the medians in milliseconds, and the ratio
# The request is signed once before the process starts (openssl), then sent with curl every 5 ms until it succeeds.
# WIREMOCK=0 skips WireMock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-5}"
# The app as the Docker image publishes it (ReadyToRun), unless EMULATOR_DLL names another build.
if [ -z "${EMULATOR_DLL:-}" ]; then
  dotnet publish "$root/src/Emulator/Emulator.csproj" -c Release --os linux -p:PublishReadyToRun=true -p:SkipOpenApiGeneration=true -o "$root/bench/.publish" -v q -nologo >/dev/null
fi
dll="${EMULATOR_DLL:-$root/bench/.publish/Emulator.dll}"
port=5987
client=SANDBOX_5YEMULATOR00001
path=/ams/sandbox/api/v1/subscriptions/create
results=()
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for run in $(seq "$runs"); do
  data="$(mktemp -d)"
  body="{\"subscriptionRequestId\":\"bench-$run-$RANDOM\",\"subscriptionDescription\":\"bench\",\"subscriptionRedirectUrl\":\"https://m.example/r\",\"subscriptionStartTime\":\"2030-01-01T00:00:00Z\",\"periodRule\":{\"periodType\":\"MONTH\",\"periodCount\":1},\"paymentMethod\":{\"paymentMethodType\":\"GCASH\"},\"paymentAmount\":{\"currency\":\"PHP\",\"value\":\"100\"},\"orderInfo\":{\"orderAmount\":{\"currency\":\"PHP\",\"value\":\"100\"}},\"env\":{\"terminalType\":\"WEB\"}}"
  time=1764000000000
  sig="$(printf 'POST %s\n%s.%s.%s' "$path" "$client" "$time" "$body" | openssl dgst -sha256 -sign "$root/fixtures/keys/merchant-private.pem" | base64 -w0 | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')"
  start=$(date +%s%N)
  Emulator__DataDirectory="$data" dotnet "$dll" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -s --max-time 1 -X POST "http://127.0.0.1:$port$path" -H "Client-Id: $client" -H "Request-Time: $time" \
      -H "Signature: algorithm=RSA256,keyVersion=1,signature=$sig" --data-binary "$body" 2>/dev/null | grep -q '"SUCCESS"'; do
    sleep 0.005
  done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  ms=$(( (end - start) / 1000000 ))
  results+=("$ms")
  echo "run $run: ${ms} ms"
done
median=$(median "${results[@]}")
echo "cold start to first signed create (median of $runs): ${median} ms on $(nproc) cores"

[ "${WIREMOCK:-1}" = 1 ] || exit 0
wm="$root/bench/.wiremock"
if [ ! -x "$wm/node_modules/.bin/wiremock" ]; then
  mkdir -p "$wm"
  (cd "$wm" && npm install --silent --no-audit --no-fund wiremock@3 >/dev/null)
fi
wm_results=()
for run in $(seq "$runs"); do
  root_dir="$(mktemp -d)"
  start=$(date +%s%N)
  "$wm/node_modules/.bin/wiremock" --port "$port" --root-dir "$root_dir" --disable-banner >/dev/null 2>&1 &
  pid=$!
  until curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/ams/sandbox/api/v1/subscriptions/create" 2>/dev/null; do
    sleep 0.005
  done
  end=$(date +%s%N)
  pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  while curl -s --max-time 0.2 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do sleep 0.05; done
  rm -rf "$root_dir"
  ms=$(( (end - start) / 1000000 ))
  wm_results+=("$ms")
  echo "wiremock run $run: ${ms} ms"
done
wm_median=$(median "${wm_results[@]}")
echo "WireMock standalone $(cd "$wm" && node -p 'require("wiremock/package.json").version') cold start to first answer (median of $runs): ${wm_median} ms"
awk -v e="$median" -v w="$wm_median" 'BEGIN {printf "ratio emulator / WireMock: %.2f (goal <= 0.4)\n", e / w}'
