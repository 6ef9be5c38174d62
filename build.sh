#!/usr/bin/env bash
# Builds the solution (src, tests and the benchmarks, so none of them can rot) and publishes the
# `guestpull` CLI and the NativeAOT `guestpull-agent` into artifacts/bin/, then the guest image into
# artifacts/bin/guest/.
set -euo pipefail
cd "$(dirname "$0")"
configuration=${CONFIGURATION:-Release}
dotnet build GuestPull.slnx -c "$configuration" --nologo -v quiet -clp:ErrorsOnly
# ReadyToRun: the CLI starts often (a warm pull, the agent, the snapshotter); precompiled code
# cuts its start-up by about 40% (warm pull to a bundle: 0.61 s -> 0.37 s here).
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)
dotnet publish src/GuestPull.Cli/GuestPull.Cli.csproj -c "$configuration" --nologo -v quiet -clp:ErrorsOnly \
  -o artifacts/bin --no-self-contained ${rid:+-r "$rid" -p:PublishReadyToRun=true}
# The guest agent runs in a VM without a .NET runtime: guestpull-agent is one NativeAOT executable
# (SQLite and OpenSSL linked in, glibc shared). Trim/AOT warnings would be runtime failures there; the
# repository's TreatWarningsAsErrors reaches the AOT compiler too, so any of them fails the publish.
dotnet publish src/GuestPull.Agent.Host/GuestPull.Agent.Host.csproj -c "$configuration" --nologo -v quiet -clp:ErrorsOnly \
  -o artifacts/agent-publish -r "${rid:-linux-x64}"
install -m 0755 artifacts/agent-publish/guestpull-agent artifacts/bin/guestpull-agent
# kata-agent (3.18 and later) pulls images through /usr/local/bin/confidential-data-hub; the agent
# executable serves that API when run under this name (docs/kata.md). A symlink, not a script: a Kata
# guest image need not have a shell.
ln -sfn guestpull-agent artifacts/bin/confidential-data-hub
# containerd finds a runtime's shim by name (containerd-shim-<name>-v2 for io.containerd.<name>.v2) on
# PATH; the launcher is that name for `guestpull shim`, resolving its own directory through symlinks.
cat > artifacts/bin/containerd-shim-guestpull-v2 <<'LAUNCHER'
#!/bin/sh
# containerd-shim-guestpull-v2: the runtime io.containerd.guestpull.v2 is `guestpull shim`.
exec "$(dirname "$(readlink -f "$0")")/guestpull" shim "$@"
LAUNCHER
# containerd mounts a guest-pull snapshot (type fuse.nydus-overlayfs) on the host for a moment during
# CRI's CreateContainer; mount.fuse then runs the helper named by the subtype.
cat > artifacts/bin/nydus-overlayfs <<'LAUNCHER'
#!/bin/sh
# nydus-overlayfs: mount helper for fuse.nydus-overlayfs snapshots, `guestpull mount-helper`.
exec "$(dirname "$(readlink -f "$0")")/guestpull" mount-helper "$@"
LAUNCHER
chmod 0755 artifacts/bin/containerd-shim-guestpull-v2 artifacts/bin/nydus-overlayfs
echo "built: $(pwd)/artifacts/bin/guestpull, guestpull-agent, confidential-data-hub, containerd-shim-guestpull-v2, nydus-overlayfs"
# The sandbox VM's guest image (Debian's kernel, an initramfs around guestpull-agent and runc) into
# artifacts/bin/guest/; the kernel package is cached, so only the first build downloads it (docs/guest.md).
scripts/build-guest.sh
