#!/usr/bin/env bash
# Installs the Debian packages GuestPull's build, demo and tests use, when they are missing;
# arguments name extra packages (the benchmarks add theirs). Safe to run again: it asks apt
# only for what is not installed yet.
set -euo pipefail

packages=(containerd runc docker-registry skopeo umoci busybox-static apache2-utils openssl gnupg fuse3
          ca-certificates curl iproute2 util-linux e2fsprogs
          # guestpull-agent is published NativeAOT: clang and lld link it, with SQLite and OpenSSL linked in
          # from their static archives (OpenSSL's .NET shim is compiled there with cmake and make).
          clang lld libsqlite3-dev libssl-dev cmake make
          # scripts/build-guest.sh packs the sandbox VM's initramfs (cpio, dpkg-deb, apt-get download of
          # Debian's kernel, whose bzImage is lz4-compressed); the VM tests boot it under QEMU (microvm
          # machine, TCG where KVM does not work).
          cpio lz4 qemu-system-x86
          "$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's packages start services where an init system runs; the tests start their own private instances.
command -v dotnet >/dev/null || { echo "install-deps: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

# containerd 1.7 and 2.1 for the integration tests (Debian trixie's and sid's, unpacked into a cache;
# the machine's own containerd stays 1.6). Cached after the first run.
"$(dirname "$0")/fetch-containerd.sh" >/dev/null
