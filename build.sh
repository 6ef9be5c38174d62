#!/usr/bin/env bash
# Builds the solution and publishes the `guestpull` CLI into artifacts/bin/.
set -euo pipefail
cd "$(dirname "$0")"
configuration=${CONFIGURATION:-Release}
dotnet build GuestPull.slnx -c "$configuration" --nologo -v quiet -clp:ErrorsOnly
dotnet publish src/GuestPull.Cli/GuestPull.Cli.csproj -c "$configuration" --nologo -v quiet -clp:ErrorsOnly \
  -o artifacts/bin --no-self-contained
echo "built: $(pwd)/artifacts/bin/guestpull"
