#!/usr/bin/env bash
# bench/pull: guestpull's cold and warm pull to a bundle against `ctr image pull` (containerd 1.6,
# overlayfs) and `skopeo copy` + `umoci unpack`. Needs root. Arguments go to the benchmark
# (--runs N, --cache DIR, --flatten, --guestpull PATH, --results FILE, --rebuild-image; see --help).
# Builds the CLI with ./build.sh when artifacts/bin/guestpull is missing (or GUESTPULL_REBUILD=1),
# unless --guestpull names another executable. BENCH_ARTIFACTS=DIR builds the benchmark there.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh debootstrap time

custom_cli=false
for argument in "$@"; do
  case "$argument" in
    --guestpull|--guestpull=*|-h|--help|'-?') custom_cli=true ;;
  esac
done

if [[ $custom_cli == false && ( ! -x artifacts/bin/guestpull || ${GUESTPULL_REBUILD:-0} == 1 ) ]]; then
  ./build.sh
fi

artifacts=()
if [[ -n ${BENCH_ARTIFACTS:-} ]]; then
  artifacts=(--artifacts-path "$BENCH_ARTIFACTS")
fi

dotnet build bench/Pull/GuestPull.Bench.Pull.csproj -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary" "${artifacts[@]}"
exec dotnet run --project bench/Pull/GuestPull.Bench.Pull.csproj -c Release --no-build "${artifacts[@]}" -- "$@"
