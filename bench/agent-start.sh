#!/usr/bin/env bash
# bench/agent-start: start time and idle memory of the NativeAOT agent (artifacts/bin/guestpull-agent)
# against the JIT/ReadyToRun `guestpull agent` (artifacts/bin/guestpull), same run. Start time is process
# start → the first successful ttrpc Check on the agent's socket; idle RSS is VmRSS after the agent has
# been idle for a few seconds. Arguments go to the benchmark (--runs N, --idle-seconds S, --bin DIR).
# Builds with ./build.sh when a binary is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x artifacts/bin/guestpull-agent || ! -x artifacts/bin/guestpull ]]; then
  ./build.sh
fi
dotnet build bench/AgentStart -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
exec dotnet bench/AgentStart/bin/Release/net10.0/guestpull-bench-agent-start.dll "$@"
