#!/usr/bin/env bash
# The main job, end to end on one machine: starts a throw-away docker-registry, builds a small
# busybox image with umoci, pushes it with skopeo, inspects it with guestpull, pulls it into a
# private layer store as the guest agent would (every digest verified, layers unpacked confined),
# and runs the resulting OCI bundle with runc.
# Everything it starts lives under a temp dir and is removed on exit.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
if [[ -z ${GUESTPULL:-} ]]; then
  ./build.sh
fi
guestpull=${GUESTPULL:-$(pwd)/artifacts/bin/guestpull}

work=$(mktemp -d /tmp/guestpull-demo.XXXXXX)
registry_pid=
cleanup() {
  set +e # best effort: every step runs even when an earlier one fails (wait returns the registry's signal status)
  runc --root "$work/runc" delete --force guestpull-demo >/dev/null 2>&1 || true
  [[ -d $work/bundle-run ]] && "$guestpull" rm-bundle "$work/bundle-run" >/dev/null 2>&1
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
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

echo "== building a busybox image with umoci"
layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:busybox"
umoci unpack --rootless --image "$layout:busybox" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh echo cat ls env id; do ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
umoci repack --image "$layout:busybox" "$work/bundle" >/dev/null
umoci config --image "$layout:busybox" --config.cmd /bin/echo --config.cmd "hello from the guest" \
  --config.env PATH=/bin --config.workingdir / --config.label org.opencontainers.image.title=guestpull-demo
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:busybox" "docker://$registry/demo/busybox:latest"

echo "== guestpull inspect $registry/demo/busybox:latest"
"$guestpull" inspect --insecure-registry "$registry" "$registry/demo/busybox:latest"
echo
echo "== guestpull inspect --format json"
"$guestpull" inspect --insecure-registry "$registry" --format json "$registry/demo/busybox:latest"

echo
echo "== guestpull pull --bundle (layers into a private store, rootfs as an overlay of them)"
"$guestpull" pull --root "$work/store" --insecure-registry "$registry" --bundle "$work/bundle-run" "$registry/demo/busybox:latest"
"$guestpull" images --root "$work/store"

echo
echo "== runc run (the bundle guestpull wrote)"
runc --root "$work/runc" run --bundle "$work/bundle-run" guestpull-demo
