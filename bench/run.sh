#!/usr/bin/env bash
# Every benchmark of issue #8, each printing its figures beside the ceiling it is compared with:
#   bench/run.sh            throughput (+ latency at half rate), time storm (10,000 subscriptions × 12 months),
#                           memory (100,000 subscriptions), cold start beside WireMock standalone
# Needs: the .NET SDK; wrk (Debian package `wrk`) as the load client, else a .NET client that costs more CPU;
# node/npm and java for WireMock (WIREMOCK=0 skips it). Not part of the test suite: nothing here passes or fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build -c Release src/Emulator -v q -nologo >/dev/null
dotnet build -c Release bench/Emulator.Bench -v q -nologo >/dev/null
command -v wrk >/dev/null || echo "note: wrk is not installed (apt-get install wrk); the .NET load client is used"
bench() { dotnet run -c Release --no-build --project bench/Emulator.Bench -- "$@"; }
bench throughput
bench storm --subscriptions "${STORM_SUBSCRIPTIONS:-10000}"
bench memory --subscriptions "${MEMORY_SUBSCRIPTIONS:-100000}"
bash bench/startup.sh 5
