#!/usr/bin/env bash
# bench/cache: ten sequential cold pulls of the realistic image through a 100 Mbit/s link to a real
# docker-registry, without and with the node cache (guestpull cache); prints the registry's bytes and
# the median time of pulls 2..10 with the cache against without (target <= 0.2x). Needs root.
# Arguments go to the benchmark (--runs N, --rate-mbit M, --cache DIR, --results FILE; see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh debootstrap

artifacts=()
if [[ -n ${BENCH_ARTIFACTS:-} ]]; then
  artifacts=(--artifacts-path "$BENCH_ARTIFACTS")
fi

dotnet build bench/Cache/GuestPull.Bench.Cache.csproj -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary" "${artifacts[@]}"
exec dotnet run --project bench/Cache/GuestPull.Bench.Cache.csproj -c Release --no-build "${artifacts[@]}" -- "$@"
