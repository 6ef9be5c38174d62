#!/usr/bin/env bash
# bench/snapshotter: guestpull's snapshots RPC throughput and p50/p99 latency through its unix socket,
# and a CRI PullImage through containerd 1.6 with guestpull's proxy driver vs containerd's overlayfs.
# Needs root. Arguments go to the benchmark (--snapshots N, --clients N, --runs N, --skip-pull,
# --own-image, --results FILE; see --help). BENCH_ARTIFACTS=DIR builds the benchmark there.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

artifacts=()
if [[ -n ${BENCH_ARTIFACTS:-} ]]; then
  artifacts=(--artifacts-path "$BENCH_ARTIFACTS")
fi

dotnet build bench/Snapshotter/GuestPull.Bench.Snapshotter.csproj -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary" "${artifacts[@]}"
exec dotnet run --project bench/Snapshotter/GuestPull.Bench.Snapshotter.csproj -c Release --no-build "${artifacts[@]}" -- "$@"
