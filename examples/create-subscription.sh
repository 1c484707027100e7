#!/usr/bin/env bash
# Creates a monthly subscription for the default merchant, starting now on its clock, with a fresh request id.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
body="$(mktemp)"
request_id="readme-$(date +%s%N)"
# Starting "now" on the merchant's clock, which an advance moves ahead of the wall (a start more than a period in its
# past is refused); the wall's time when the clock cannot be read (START_TIME overrides both).
clock="$(curl -s ${ADMIN_TOKEN:+-H "Authorization: Bearer $ADMIN_TOKEN"} ${CURL_OPTS:-} \
  "${EMULATOR_URL:-http://localhost:5080}/_emulator/v1/merchants/${CLIENT_ID:-SANDBOX_5YEMULATOR00001}/clock" 2>/dev/null || true)"
start="${START_TIME:-$(printf '%s' "$clock" | sed -n 's/.*"now":"\([^"]*\)".*/\1/p')}"
start="${start:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
cat > "$body" <<JSON
{"subscriptionRequestId":"$request_id","subscriptionDescription":"Emulator Premium, monthly","subscriptionRedirectUrl":"https://merchant.example/subscribed","subscriptionStartTime":"$start","periodRule":{"periodType":"MONTH","periodCount":1},"paymentMethod":{"paymentMethodType":"GCASH"},"paymentAmount":{"currency":"PHP","value":"19900"},"orderInfo":{"orderAmount":{"currency":"PHP","value":"19900"}},"env":{"terminalType":"WEB"}}
JSON
"$here/signed-call.sh" create "$body"
rm -f "$body"
# The id the buyer's approval (control API: …/subscription-requests/{id}/approve) and the ledger's filters use.
echo "subscriptionRequestId: $request_id" >&2
