#!/usr/bin/env bash
# Creates a monthly subscription for the default merchant, starting now, with a fresh request id.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
body="$(mktemp)"
request_id="readme-$(date +%s%N)"
cat > "$body" <<JSON
{"subscriptionRequestId":"$request_id","subscriptionDescription":"Emulator Premium, monthly","subscriptionRedirectUrl":"https://merchant.example/subscribed","subscriptionStartTime":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","periodRule":{"periodType":"MONTH","periodCount":1},"paymentMethod":{"paymentMethodType":"GCASH"},"paymentAmount":{"currency":"PHP","value":"19900"},"orderInfo":{"orderAmount":{"currency":"PHP","value":"19900"}},"env":{"terminalType":"WEB"}}
JSON
"$here/signed-call.sh" create "$body"
rm -f "$body"
# The id the buyer's approval (control API: …/subscription-requests/{id}/approve) and the ledger's filters use.
echo "subscriptionRequestId: $request_id" >&2
