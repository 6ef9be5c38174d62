#!/usr/bin/env bash
# Installs what the tests need, builds everything, runs every test project and prints one closing
# line `N passed, N failed` summed over all of them. Exits non-zero on any failure.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Registry").
set -uo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh || exit 1
./build.sh || exit 1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  # Test projects are named *.Tests or *IntegrationTests (tests/Directory.Build.props); the rest are fixtures.
  [[ $name == *.Tests || $name == *IntegrationTests ]] || continue
  echo "== $name"
  dotnet test "$project" -c "${CONFIGURATION:-Release}" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=minimal" "$@" || status=1
done

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -e $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
((failed == 0 && status == 0)) || status=1
((passed > 0)) || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
