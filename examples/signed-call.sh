#!/usr/bin/env bash
# Sends one signed request to the emulator, exactly as an Antom SDK would, and prints the answer with its headers.
#   examples/signed-call.sh <api> <body.json>      api: any emulated Antom API (create, change, update, cancel, inquireSubscription, …, refund, inquiryRefund)
# Settings (environment): EMULATOR_URL (default http://localhost:5080), CLIENT_ID and PRIVATE_KEY (default: the
# default merchant of fixtures/), CURL_OPTS (more curl options: CURL_OPTS=--insecure for the emulator's self-signed
# HTTPS certificate, EMULATOR_URL=https://localhost:5443). The signed content is: POST <path>\n<client-id>.<request-time>.<body>.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
api="${1:?usage: signed-call.sh <api: create, change, update, cancel, inquireSubscription, …> body.json}"
body_file="${2:?usage: signed-call.sh <api: create, change, update, cancel, inquireSubscription, …> body.json}"
url="${EMULATOR_URL:-http://localhost:5080}"
client_id="${CLIENT_ID:-SANDBOX_5YEMULATOR00001}"
key="${PRIVATE_KEY:-$here/../fixtures/keys/merchant-private.pem}"
group=subscriptions
case "$api" in refund|inquiryRefund) group=payments ;; esac
path="/ams/api/v1/$group/$api"
case "$client_id" in SANDBOX_*) path="/ams/sandbox/api/v1/$group/$api" ;; esac

body="$(cat "$body_file")"
request_time="$(date +%s%3N)"
signature="$(printf 'POST %s\n%s.%s.%s' "$path" "$client_id" "$request_time" "$body" \
  | openssl dgst -sha256 -sign "$key" | base64 -w0 | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')"

# shellcheck disable=SC2086 # CURL_OPTS is a list of options
# The body goes through stdin: as an argument, one above 128 KiB would not reach curl at all.
printf '%s' "$body" | curl -sS -i ${CURL_OPTS:-} -X POST "$url$path" \
  -H "Content-Type: application/json; charset=UTF-8" \
  -H "Client-Id: $client_id" \
  -H "Request-Time: $request_time" \
  -H "Signature: algorithm=RSA256,keyVersion=1,signature=$signature" \
  --data-binary @-
echo
