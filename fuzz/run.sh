#!/usr/bin/env bash
# Fuzzes one of GuestPull's parsers with afl-fuzz and SharpFuzz.
#
#   fuzz/run.sh list                 the targets
#   fuzz/run.sh TARGET MINUTES [OUT] fuzz TARGET for MINUTES; afl's output goes to OUT
#                                    (default fuzz/findings/TARGET, which is removed first unless
#                                    FUZZ_RESUME=1)
#
# Installs afl++ (Debian's package) when afl-fuzz is missing and the SharpFuzz tool from the local
# tool manifest, publishes fuzz/GuestPull.Fuzz, instruments the assemblies TARGET exercises, runs
# afl-fuzz, then prints the totals from afl's fuzzer_stats. Exits 1 when afl saved a crash, 0 else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# The assemblies whose code each target reaches; only those are instrumented, so afl's coverage map
# holds the parser's edges and not the rest of GuestPull.
declare -A instrument=(
  [tar]="GuestPull.Unpack.dll GuestPull.Linux.dll"
  [oci-manifest]="GuestPull.Oci.dll"
  [oci-config]="GuestPull.Oci.dll"
  [ttrpc]="GuestPull.Ttrpc.dll GuestPull.Api.dll"
  [auth-challenge]="GuestPull.Oci.dll"
  [registries-conf]="GuestPull.Oci.dll GuestPull.Configuration.dll Tomlyn.dll"
  [policy-json]="GuestPull.Images.dll GuestPull.Oci.dll"
  [agent-toml]="GuestPull.Agent.dll GuestPull.Configuration.dll Tomlyn.dll"
  [shim-toml]="GuestPull.Shim.dll GuestPull.Configuration.dll Tomlyn.dll"
  [kata-volume]="GuestPull.Api.dll"
)
# Token lists (fuzz/dict/*.dict) that help afl build the syntax of text formats.
declare -A dictionary=(
  [oci-manifest]=json [oci-config]=json [policy-json]=json [kata-volume]=json
  [registries-conf]=toml [agent-toml]=toml [shim-toml]=toml
  [auth-challenge]=challenge
)

usage() {
  echo "usage: $0 list | $0 TARGET MINUTES [OUT]" >&2
  exit 2
}

if [[ ${1:-} == list ]]; then
  for target in $(printf '%s\n' "${!instrument[@]}" | sort); do
    echo "$target"
  done
  exit 0
fi

[[ $# -ge 2 ]] || usage
target=$1
minutes=$2
[[ -n ${instrument[$target]:-} ]] || { echo "unknown target $target; '$0 list' shows them" >&2; exit 2; }
[[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || usage
out=${3:-$here/findings/$target}
corpus=$here/corpus/$target

# --- tools, build and instrument ------------------------------------------------------------------
# The tools and one publish shared by every target are set up under a lock, so two runs started
# together neither race apt-get and NuGet's package folder nor write the publish at once; then a
# private copy per target: the instrumented DLLs differ per target, and a run must not have its
# assemblies replaced under it by the next one's build.
build=$repo/artifacts/fuzz
mkdir -p "$build"
(
  flock 9
  if ! command -v afl-fuzz >/dev/null; then
    echo "installing afl++ (apt-get)"
    apt-get install -y afl++ >/dev/null || { apt-get update >/dev/null && apt-get install -y afl++ >/dev/null; }
  fi
  (cd "$repo" && dotnet tool restore >/dev/null)
  dotnet publish "$here/GuestPull.Fuzz/GuestPull.Fuzz.csproj" -c Release -o "$build/publish" --nologo -v quiet >/dev/null
) 9>"$build/.publish.lock"

bin=$build/$target
rm -rf "$bin"
cp -a "$build/publish" "$bin"
for dll in ${instrument[$target]}; do
  (cd "$repo" && dotnet tool run sharpfuzz "$bin/$dll") >/dev/null
  echo "instrumented $dll"
done

# --- fuzz ----------------------------------------------------------------------------------------
if [[ ${FUZZ_RESUME:-0} == 1 && -d $out ]]; then
  export AFL_AUTORESUME=1
else
  rm -rf "$out"
fi
mkdir -p "$(dirname "$out")"
scratch=$(mktemp -d "${TMPDIR:-/dev/shm}/guestpull-fuzz.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT

dict=()
if [[ -n ${dictionary[$target]:-} ]]; then
  dict=(-x "$here/dict/${dictionary[$target]}.dict")
fi

echo "fuzzing $target for $minutes min; afl output in $out"
# AFL_SKIP_BIN_CHECK: the program afl starts is dotnet, which carries no afl instrumentation (the
# coverage comes from the assemblies SharpFuzz rewrote). AFL_NO_UI: plain log lines, for nohup.
# AFL_NO_AFFINITY: the machine is shared; let the scheduler place us.
# -t 5000: a .NET input that takes 5 s is a hang (the first inputs pay for JIT and start-up).
GUESTPULL_FUZZ_TMP=$scratch \
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 \
  AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  afl-fuzz -i "$corpus" -o "$out" -t 5000 -V $((minutes * 60)) "${dict[@]}" \
  -- dotnet "$bin/GuestPull.Fuzz.dll" "$target" || echo "afl-fuzz exited with $?" >&2

# --- report --------------------------------------------------------------------------------------
stats=$out/default/fuzzer_stats
[[ -f $stats ]] || { echo "no fuzzer_stats in $out/default: afl-fuzz did not start" >&2; exit 3; }
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(stat saved_crashes)
hangs=$(stat saved_hangs)
cat <<EOF
target:      $target
duration:    $(stat run_time) s
executions:  $(stat execs_done) ($(stat execs_per_sec)/s)
corpus:      $(stat corpus_count) inputs, $(stat edges_found) edges ($(stat bitmap_cvg) of the map)
crashes:     $crashes (in $out/default/crashes)
hangs:       $hangs (in $out/default/hangs)
output:      $out
EOF
[[ ${crashes:-0} -eq 0 ]]
