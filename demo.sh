#!/usr/bin/env bash
# The main job: the whole guest-pull story on one machine, with the real parts.
#   1. a throw-away docker-registry holding a busybox image and a pause image (built with umoci, pushed
#      with skopeo) — nothing is downloaded;
#   2. a private containerd 1.6 (its own root, state and sockets under a temp dir) that
#      `guestpull install --standalone` switches to GuestPull: proxy snapshotter, runtime handler
#      `guestpull`, containerd restarted and waited for;
#   3. a pod run through containerd's CRI with handler `guestpull` (`guestpull smoke-test`): the
#      snapshotter fetches no layer on the host, the shim starts a sandbox whose agent pulls and
#      verifies the image inside it, and the container prints its greeting;
#   4. `guestpull verify`'s report (no rootfs of the pod on the host), `guestpull doctor`, then
#      `guestpull uninstall`, which puts containerd's config back byte for byte.
# Everything it starts lives under temp dirs and is removed on exit.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
if [[ -z ${GUESTPULL_BIN:-} ]]; then
  ./build.sh
fi
bin=${GUESTPULL_BIN:-$(pwd)/artifacts/bin}
guestpull=$bin/guestpull
started=$(date +%s)

work=$(mktemp -d /tmp/guestpull-demo.XXXXXX)
# Sockets live in a short directory: a unix socket path holds at most 107 bytes.
run=$(mktemp -d /run/gpdemo.XXXXXX)
registry_pid=
cleanup() {
  set +e # best effort: every step runs even when an earlier one fails
  if [[ -f $work/installed ]]; then
    "$guestpull" uninstall "${location[@]}" >"$work/uninstall.log" 2>&1 || cat "$work/uninstall.log" >&2
  fi
  if [[ -f $work/containerd.pid ]]; then
    kill "$(cat "$work/containerd.pid")" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$(cat "$work/containerd.pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  # Whatever is still mounted below the demo's directories (a crashed shim's leftovers), deepest first.
  awk -v w="$work" -v r="$run" '$5 ~ "^"w || $5 ~ "^"r {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" "$run"
}
trap cleanup EXIT

free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
  echo "demo: no free port" >&2; return 1
}

port=$(free_port)
registry=127.0.0.1:$port
cat >"$work/registry.yml" <<YAML
version: 0.1
log: { level: warn, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: $registry }
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://$registry/v2/" 2>/dev/null && break
  sleep 0.1
done
echo "== docker-registry listening on $registry"

echo "== building busybox and pause images with umoci, pushing them with skopeo"
layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:busybox"
umoci unpack --rootless --image "$layout:busybox" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh echo cat ls env id sleep; do ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
umoci repack --image "$layout:busybox" "$work/bundle" >/dev/null
umoci config --image "$layout:busybox" --tag pause --config.cmd /bin/sleep --config.cmd infinity --config.env PATH=/bin
umoci config --image "$layout:busybox" --config.cmd /bin/echo --config.cmd "hello from the guest" \
  --config.env PATH=/bin --config.workingdir / --config.label org.opencontainers.image.title=guestpull-demo
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:busybox" "docker://$registry/demo/busybox:latest"
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:pause" "docker://$registry/demo/pause:3.9"
image=$registry/demo/busybox:latest

echo
echo "== guestpull inspect $image"
"$guestpull" inspect --insecure-registry "$registry" "$image"

echo
echo "== a private containerd (CRI on, plain containerd config, nothing of GuestPull yet)"
mkdir -p "$work/containerd" "$work/cni/bin" "$work/cni/conf"
config=$work/containerd/config.toml
cat >"$config" <<TOML
version = 2
root = "$work/containerd/root"
state = "$run/containerd-state"

[grpc]
  address = "$run/containerd.sock"

[ttrpc]
  address = "$run/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$registry/demo/pause:3.9"
  # root here lacks CAP_SYS_RESOURCE: runc must not try to lower oom_score_adj for pods
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$work/cni/bin"
  conf_dir = "$work/cni/conf"

[plugins."io.containerd.grpc.v1.cri".registry.mirrors."$registry"]
  endpoint = ["http://$registry"]
TOML
cp "$config" "$work/config.toml.orig"

# The shim's settings: every pod in its own QEMU VM (the guest image installed next to the binaries;
# KVM where it can run a guest, else TCG), where its sockets, state and shared directories go, and
# the agent's registry settings (the demo registry speaks plain HTTP).
cat >"$work/shim.toml" <<TOML
sandbox = "vm"
socket_dir = "$run/s"
state_root = "$run/shim"
shared_root = "$run/shared"

[agent]
insecure_registries = ["$registry"]
TOML

# How this node (re)starts its containerd: `guestpull install --containerd-restart-command` runs it.
# containerd finds containerd-shim-guestpull-v2 and nydus-overlayfs on its PATH.
cat >"$work/restart-containerd.sh" <<SCRIPT
#!/bin/sh
if [ -f "$work/containerd.pid" ]; then
  pid=\$(cat "$work/containerd.pid")
  kill "\$pid" 2>/dev/null
  while kill -0 "\$pid" 2>/dev/null; do sleep 0.1; done
fi
PATH="$work/prefix/bin:\$PATH" GUESTPULL_SHIM_CONFIG="$work/shim.toml" \
  setsid containerd --config "$config" >>"$work/containerd.log" 2>&1 </dev/null &
echo \$! >"$work/containerd.pid"
SCRIPT
chmod +x "$work/restart-containerd.sh"
"$work/restart-containerd.sh"
for _ in $(seq 300); do [[ -S $run/containerd.sock ]] && break; sleep 0.1; done
echo "containerd $(containerd --version | awk '{print $3}') on $run/containerd.sock"

location=(--standalone --prefix "$work/prefix" --state-dir "$work/state"
          --containerd-config "$config" --containerd-address "$run/containerd.sock"
          --snapshotter-address "$run/snapshotter.sock" --snapshotter-root "$work/snapshotter")

echo
echo "== guestpull install --standalone (snapshotter started, containerd config edited, containerd restarted)"
"$guestpull" install "${location[@]}" --containerd-restart-command "$work/restart-containerd.sh"
touch "$work/installed"
echo
echo "-- containerd's config, as guestpull install left it:"
diff -u "$work/config.toml.orig" "$config" | tail -n +3 || true

echo
echo "== guestpull doctor"
"$guestpull" doctor "${location[@]}" || true

echo
echo "== a pod through CRI with runtime handler guestpull (guestpull smoke-test)"
"$guestpull" smoke-test --address "$run/containerd.sock" --shared-root "$run/shared" --log-dir "$work/pod-logs" "$image"
# The shim logs each VM's start (accelerator, size, boot time) into containerd's log.
vm_line=$(grep -ho 'sandbox [0-9a-f]* started: QEMU pid [0-9]*, accel [a-z]*, [^;]*; agent answered after [0-9]* ms' "$work/containerd.log" | tail -n 1 || true)
if [[ -z $vm_line ]]; then
  echo "demo: the pod did not run in a VM (no 'started: QEMU' line in containerd's log)" >&2
  exit 1
fi
echo "the pod ran in a VM: ${vm_line#sandbox * started: }"

echo
echo "== guestpull uninstall"
"$guestpull" uninstall "${location[@]}" --containerd-restart-command "$work/restart-containerd.sh"
rm -f "$work/installed"
if cmp -s "$config" "$work/config.toml.orig"; then
  echo "containerd's config is back, byte for byte"
else
  echo "demo: containerd's config differs from the original after uninstall" >&2
  diff -u "$work/config.toml.orig" "$config" >&2 || true
  exit 1
fi
echo
echo "demo finished in $(( $(date +%s) - started )) s (after the build)"
