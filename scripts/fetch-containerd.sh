#!/usr/bin/env bash
# Fetches the containerd releases the integration tests run besides the machine's own 1.6 (Debian 12):
# Debian trixie's 1.7 and sid's 2.1, which run on Debian 12 (they need glibc 2.34). Each .deb comes from
# Debian's archive through a private apt state (scripts/lib/debian-package.sh; the machine's sources are
# never touched) and is unpacked with `dpkg-deb -x` into
#   $cache/containerd/<version>/usr/bin/{containerd,ctr,containerd-shim-runc-v2}
# with $cache/containerd/<version>/VERSION holding `containerd --version`. Both .debs and trees are
# cached: once fetched, a run costs no network and well under a second.
#
# Prints one line per release: "<version> <bin directory>". The test fixtures run this lazily
# (tests/GuestPull.Testing/Containerd/ContainerdReleases.cs); scripts/install-deps.sh runs it up front.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/debian-package.sh

cache=${GUESTPULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guestpull}
# suite package version: pinned so every run tests the same binaries. A Debian upload that replaces a
# version removes the old one from the archive; move the pin then (the error says so).
releases=(
  "trixie containerd 1.7.24~ds1-6+deb13u1"
  "sid containerd 2.1.9+ds1-5"
)
for release in "${releases[@]}"; do
  read -r suite package version <<<"$release"
  upstream=${version%%[~+]*}
  tree=$cache/containerd/$upstream
  if [[ ! -f $tree/VERSION ]]; then
    deb=$(debian_package_fetch "$cache" "$suite" "$package" "$version")
    rm -rf "$tree"
    debian_package_extract "$deb" "$tree"
    "$tree/usr/bin/containerd" --version > "$tree/VERSION.tmp"
    mv "$tree/VERSION.tmp" "$tree/VERSION"
  fi
  echo "$upstream $tree/usr/bin"
done
