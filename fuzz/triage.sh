#!/usr/bin/env bash
# Replays what afl saved for TARGET (crashes and hangs) through the published harness, outside afl,
# and prints each distinct failure once: the exception and the first GuestPull frame, with one input.
#
#   fuzz/triage.sh TARGET [OUT]      OUT defaults to fuzz/findings/TARGET
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target=${1:?usage: $0 TARGET [OUT]}
out=${2:-$here/findings/$target}
dll=$repo/artifacts/fuzz/publish/GuestPull.Fuzz.dll
[[ -f $dll ]] || { echo "no harness at $dll: run fuzz/run.sh first" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

declare -A seen=()
shopt -s nullglob
for input in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
  # A hang is replayed with a limit: still running after 10 s, it is reported as one.
  if ! result=$(GUESTPULL_FUZZ_TMP=$scratch timeout 10 dotnet "$dll" "$target" --replay "$input" 2>&1); then
    [[ $? -eq 124 ]] && result="HANG (still running after 10 s)"
  fi
  exception=$(grep -m1 -oE '^[A-Za-z.]+Exception[^ ]*:? ?.{0,100}|^HANG.*' <<<"$result" || true)
  frame=$(grep -m1 -E '^ +at GuestPull\.' <<<"$result" | grep -v 'GuestPull\.Fuzz\.' | sed 's/ in .*//' || true)
  [[ -z $exception ]] && continue
  key="${exception%%:*} ${frame}"
  if [[ -z ${seen[$key]:-} ]]; then
    seen[$key]=1
    printf '%s\n    %s\n    %s\n' "$input" "$exception" "${frame:-(no GuestPull frame)}"
  fi
done
echo "${#seen[@]} distinct failure(s)"
