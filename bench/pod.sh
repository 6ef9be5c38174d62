#!/usr/bin/env bash
# bench/pod: RunPodSandbox → container exit for bench/pull's realistic image, the guestpull runtime
# (image pulled in the pod's sandbox: namespaces, or a QEMU VM for guestpull-vm) against runc with
# containerd's overlayfs, same run. Needs root.
# Arguments go to the benchmark (--runs N, --contender NAME, --guestpull PATH, --guest-image DIR,
# --results FILE, --cache DIR, --rebuild-image, --run-timeout SECONDS, --tmpfs SIZE; see --help).
# Builds the CLI with ./build.sh when artifacts/bin/guestpull is missing (or GUESTPULL_REBUILD=1),
# unless --guestpull names another executable. BENCH_ARTIFACTS=DIR builds the benchmark there.
set -euo pipefail
cd "$(dirname "$0")/.."
# debootstrap builds the image's base layer the first time (the cache is shared with bench/pull).
./scripts/install-deps.sh debootstrap

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

dotnet build bench/Pod/GuestPull.Bench.Pod.csproj -c Release --nologo -v quiet -clp:"ErrorsOnly;NoSummary" "${artifacts[@]}"
exec dotnet run --project bench/Pod/GuestPull.Bench.Pod.csproj -c Release --no-build "${artifacts[@]}" -- "$@"
