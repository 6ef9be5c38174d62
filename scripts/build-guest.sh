#!/usr/bin/env bash
# Builds the sandbox VM's guest image into artifacts/bin/guest/ (docs/guest.md):
#   vmlinux             Debian's cloud kernel, uncompressed (QEMU boots an ELF vmlinux through PVH)
#   initramfs.cpio.gz   /init (busybox sh), guestpull-agent, runc, the libraries they link, the kernel
#                       modules the guest needs, the CA bundle; nothing else
#   manifest.json       the kernel package and version, the sha256 of every file in the initramfs and
#                       of the outputs
# The same inputs give the same bytes: entries sorted, owner 0:0, one mtime (SOURCE_DATE_EPOCH),
# `cpio --reproducible`, `gzip -n`.
#
# The kernel package is downloaded with `apt-get download` against a private sources list, lists
# and cache (the machine's apt configuration is never touched), pinned to one version, and kept in
# the cache so repeated builds and CI don't fetch it again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian 12's point release ships one version of the cloud kernel in bookworm main; a later point
# release replaces it there, so the pin (and the version recorded in the manifest) moves with it.
kernel_package=${GUESTPULL_KERNEL_PACKAGE:-linux-image-6.1.0-50-cloud-amd64}
kernel_version=${GUESTPULL_KERNEL_VERSION:-6.1.176-1}
kernel_release=${kernel_package#linux-image-}
agent=${GUESTPULL_AGENT:-artifacts/bin/guestpull-agent}
runc_binary=${GUESTPULL_RUNC:-/usr/sbin/runc}
busybox_binary=${GUESTPULL_BUSYBOX:-/bin/busybox}
ca_bundle=/etc/ssl/certs/ca-certificates.crt
cache=${GUESTPULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guestpull}
out=artifacts/bin/guest
# One timestamp for every entry; 2023-06-10, Debian 12's release, unless the caller pins another.
epoch=${SOURCE_DATE_EPOCH:-1686355200}
# Loaded by /init in this order after their dependencies: the mmio transport microvm's devices sit
# on, the agent's port, the entropy source (without it the first getrandom stalls the boot), the
# NIC for user networking, and overlayfs for bundles' root filesystems. Everything else the guest
# uses (ext4, tmpfs, cgroup2, namespaces, seccomp, the 8250 console) is built into this kernel.
modules=(virtio_mmio virtio_console virtio_rng virtio_net overlay)

for f in "$agent" "$runc_binary" "$busybox_binary" "$ca_bundle"; do
  [[ -f $f ]] || { echo "build-guest: $f is missing (run ./build.sh and scripts/install-deps.sh)" >&2; exit 1; }
done

# --- the kernel package, from a private apt state --------------------------------------------------
source scripts/lib/debian-package.sh
deb=$(debian_package_fetch "$cache" bookworm "$kernel_package" "$kernel_version")
kernel_tree=$cache/kernel/${kernel_package}_${kernel_version}
debian_package_extract "$deb" "$kernel_tree"
modules_root=$kernel_tree/lib/modules/$kernel_release

work=$(mktemp -d "${TMPDIR:-/tmp}/guestpull-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# --- vmlinux: the kernel's own extract-vmlinux, for the compressors Debian uses ----------------------
# A bzImage is a decompressor stub followed by the compressed ELF; try each offset where the
# compressor's magic appears until one decompresses to an ELF file.
extract_vmlinux() {
  local image=$1 target=$2 magic tool offset
  for pair in '\x02\x21\x4c\x18:lz4 -dc' '\x28\xb5\x2f\xfd:zstd -dcq' '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' '\x1f\x8b\x08:gzip -dcq'; do
    magic=${pair%%:*} tool=${pair#*:}
    command -v "${tool%% *}" >/dev/null || continue
    for offset in $(LC_ALL=C grep -aboP "$magic" "$image" | cut -d: -f1); do
      tail -c "+$((offset + 1))" "$image" | $tool > "$target" 2>/dev/null || true
      [[ $(head -c 4 "$target" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] && return 0
    done
  done
  echo "build-guest: no ELF kernel found in $image" >&2
  return 1
}
extract_vmlinux "$kernel_tree/boot/vmlinuz-$kernel_release" "$work/vmlinux"

# --- the initramfs tree --------------------------------------------------------------------------
root=$work/root
mkdir -p "$root"/{bin,usr/bin,usr/sbin,etc/ssl/certs,etc/guestpull,dev,proc,sys,run,tmp,var/lib,lib/modules/"$kernel_release"}
install -m 0755 scripts/guest/init "$root/init"
install -m 0755 "$busybox_binary" "$root/bin/busybox"
# Only the applets /init calls; busybox is the init's shell and nothing a container sees.
for applet in sh mount mkdir insmod ip ln cat ls sleep cp switch_root tr; do ln -s busybox "$root/bin/$applet"; done
install -m 0755 "$agent" "$root/usr/bin/guestpull-agent"
install -m 0755 "$runc_binary" "$root/usr/sbin/runc"
install -m 0644 "$(readlink -f "$ca_bundle")" "$root/etc/ssl/certs/ca-certificates.crt"
# QEMU's user network: the guest is 10.0.2.15, the gateway (the host) 10.0.2.2, its DNS 10.0.2.3.
echo "nameserver 10.0.2.3" > "$root/etc/resolv.conf"
chmod 0644 "$root/etc/resolv.conf"

# Shared libraries, as the dynamic loader resolves them on this machine (the guest has Debian's glibc,
# the one runc and the agent were linked against). Copied to the same paths, symlinks followed.
copy_libraries() {
  local lib
  for lib in $(ldd "$1" | awk '/=>/ { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    install -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}
copy_libraries "$agent"
copy_libraries "$runc_binary"

# Kernel modules: each with its dependencies first (read from the .ko's own modinfo section, since
# the package ships no modules.dep and busybox's insmod loads files, not names).
declare -A module_paths=() loaded=()
while IFS= read -r path; do
  name=$(basename "$path" .ko); module_paths[${name//-/_}]=$path
done < <(find "$modules_root/kernel" -name '*.ko')
module_order=()
add_module() {
  local name=${1//-/_} dependency path
  [[ -n ${loaded[$name]:-} ]] && return 0
  path=${module_paths[$name]:-}
  [[ -n $path ]] || { echo "build-guest: module $name is not in $kernel_package" >&2; exit 1; }
  for dependency in $(tr '\0' '\n' < "$path" | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dependency"; done
  loaded[$name]=1
  module_order+=("${path#"$kernel_tree"}")
}
for m in "${modules[@]}"; do add_module "$m"; done
for path in "${module_order[@]}"; do
  install -D -m 0644 "$kernel_tree$path" "$root$path"
  echo "$path"
done > "$root/etc/guestpull/modules"
chmod 0644 "$root/etc/guestpull/modules"

# Directories 0755 whatever the umask; one mtime everywhere (symlinks too).
find "$root" -type d -exec chmod 0755 {} +
chmod 1777 "$root/tmp"
find "$root" -exec touch -h -d "@$epoch" {} +

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) \
  | gzip -n -9 > "$work/initramfs.cpio.gz"

# --- manifest -------------------------------------------------------------------------------------
sha() { sha256sum "$1" | cut -d' ' -f1; }
{
  printf '{\n  "kernel": {\n    "package": "%s",\n    "version": "%s",\n    "release": "%s",\n    "deb_sha256": "%s"\n  },\n' \
    "$kernel_package" "$kernel_version" "$kernel_release" "$(sha "$deb")"
  printf '  "outputs": {\n    "vmlinux": "%s",\n    "initramfs.cpio.gz": "%s"\n  },\n' \
    "$(sha "$work/vmlinux")" "$(sha "$work/initramfs.cpio.gz")"
  printf '  "initramfs": {\n'
  first=1
  while IFS= read -r path; do
    ((first)) || printf ',\n'
    first=0
    if [[ -L $root/$path ]]; then
      printf '    "/%s": "-> %s"' "$path" "$(readlink "$root/$path")"
    else
      printf '    "/%s": "%s"' "$path" "$(sha "$root/$path")"
    fi
  done < <(cd "$root" && find . -mindepth 1 ! -type d | sed 's|^\./||' | LC_ALL=C sort)
  printf '\n  }\n}\n'
} > "$work/manifest.json"

install -m 0644 "$work/vmlinux" "$work/initramfs.cpio.gz" "$work/manifest.json" "$out/"
echo "build-guest: $out/vmlinux ($kernel_package $kernel_version), initramfs.cpio.gz $(stat -c %s "$out/initramfs.cpio.gz") bytes"
