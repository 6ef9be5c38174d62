#!/usr/bin/env bash
# bench/soak: soak benchmarks. `snapshotter` drives `guestpull snapshotter` (its own process, overlayfs
# driver) with --clients N (64) concurrent gRPC clients for --duration SECONDS (600) after a --warmup (30);
# `agent` has `guestpull agent` (its own process, unix socket) serve --pods N (500) sandboxes one after
# another after --warmup-pods (100: the JIT and the GC heap settle over the first ones); `agent-connections` opens --connections N (5000) idle clients to the
# agent at once, then closes them. Each prints the daemon's RSS, open descriptors and mounts once warm and
# at the end, with the growth. Needs root (the agent runs runc). --guestpull PATH picks the binary
# (default artifacts/bin/guestpull, else the CLI's Release build). Example: bench/soak.sh snapshotter --duration 60
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/GuestPull.Cli -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary"
dotnet build bench/Soak -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary"
exec dotnet bench/Soak/bin/Release/net10.0/guestpull-bench-soak.dll "$@"
