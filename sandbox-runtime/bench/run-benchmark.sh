#!/usr/bin/env bash
# Benchmark: the same container lifecycle and workload through containerd with plain runc and with
# the Stockade runtime, in one run on this machine. Prints wall times and ratios; asserts nothing.
#
#   ./mvnw -pl sandbox-runtime package      # builds sandbox-runtime/target/payload
#   sudo sandbox-runtime/bench/run-benchmark.sh [lifecycle-iterations] [dd-bytes]
#
# Needs root, containerd, ctr, runc, busybox (busybox-static), umoci, unshare. Starts a private
# containerd in its own mount namespace under a temporary directory and stops it at the end.
set -euo pipefail

iterations=${1:-20}
dd_bytes=${2:-3000000}
here=$(cd "$(dirname "$0")" && pwd)
payload=${STOCKADE_PAYLOAD:-$here/../target/payload}
[ -x "$payload/bin/stockade-runtime" ] || { echo "no payload at $payload: run ./mvnw -pl sandbox-runtime package first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/stockade-bench.XXXXXX)
containerd_pid=
cleanup() {
    if [ -n "$containerd_pid" ]; then
        kill "$containerd_pid" 2>/dev/null || true
        wait "$containerd_pid" 2>/dev/null || true
    fi
    for cmdline in /proc/[0-9]*/cmdline; do
        if tr '\0' ' ' 2>/dev/null < "$cmdline" | grep -q -- "-address $work/containerd.sock"; then
            pid=${cmdline#/proc/}; pid=${pid%/cmdline}
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

# A busybox image from busybox-static, as an OCI layout imported into the private containerd.
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:latest" >/dev/null
umoci insert --image "$work/oci:latest" "$rootfs" / >/dev/null
tar -C "$work/oci" -cf "$work/image.tar" .

mkdir -p "$work/root" "$work/state" "$work/run" "$work/fifo" "$work/runc" /run/containerd
cat > "$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
TOML
unshare --mount --propagation private sh -c 'mount --bind "$1" /run/containerd && exec containerd --config "$2"' sh \
    "$work/run" "$work/config.toml" > "$work/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 100); do
    ctr --address "$work/containerd.sock" version >/dev/null 2>&1 && break
    sleep 0.1
done
ctr() { command ctr --address "$work/containerd.sock" "$@"; }
ctr images import --base-name docker.io/stockade/busybox "$work/image.tar" >/dev/null
image=docker.io/stockade/busybox:latest

echo '{}' > "$work/profile.json"
cat > "$work/stockade-default" <<SH
#!/bin/sh
STOCKADE_PROFILE=$work/profile.json exec $payload/bin/stockade-runtime "\$@"
SH
chmod 755 "$work/stockade-default"

run_options=(--rm --fifo-dir "$work/fifo" --runc-root "$work/runc")
now() { date +%s%N; }

# Warm both paths once (page cache, containerd snapshots).
ctr run "${run_options[@]}" "$image" warm-runc true
ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" warm-stockade true

runc_ns=0
stockade_ns=0
for i in $(seq "$iterations"); do
    start=$(now); ctr run "${run_options[@]}" "$image" "runc-$i" true; runc_ns=$((runc_ns + $(now) - start))
    start=$(now); ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" "stockade-$i" true
    stockade_ns=$((stockade_ns + $(now) - start))
done

# Steady state: a syscall-heavy workload (dd with 1-byte blocks: two syscalls per byte) timed in
# milliseconds inside the container, three runs each, median.
# /proc/uptime has 10 ms resolution, fine for a workload of seconds (busybox date has no %N).
workload="s=\$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/null bs=1 count=$dd_bytes 2>/dev/null; e=\$(cut -d' ' -f1 /proc/uptime); awk -v s=\$s -v e=\$e 'BEGIN { printf \"%d\\n\", (e - s) * 1000 }'"
median() { sort -n | sed -n 2p; }
dd_runc=$(for i in 1 2 3; do ctr run "${run_options[@]}" "$image" "dd-runc-$i" sh -c "$workload"; done | median)
dd_runc_seccomp=$(for i in 1 2 3; do ctr run "${run_options[@]}" --seccomp "$image" "dd-runc-seccomp-$i" sh -c "$workload"; done | median)
dd_stockade=$(for i in 1 2 3; do ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" "dd-stockade-$i" sh -c "$workload"; done | median)

awk -v n="$iterations" -v r="$runc_ns" -v s="$stockade_ns" -v dr="$dd_runc" -v ds="$dd_stockade" -v dsc="$dd_runc_seccomp" -v bytes="$dd_bytes" 'BEGIN {
    printf "lifecycle (ctr run --rm true, %d runs each): runc %.1f ms, stockade %.1f ms per container, ratio %.2fx (target <= 1.3x)\n", n, r / n / 1e6, s / n / 1e6, s / r
    printf "steady state (dd bs=1 count=%d, median of 3, timed inside): runc %d ms, stockade %d ms, ratio %.3fx (target <= 1.02x)\n", bytes, dr, ds, ds / dr
    printf "  for reference, runc with containerd'"'"'s default seccomp profile (ctr run --seccomp): %d ms, stockade/that %.3fx\n", dsc, ds / dsc
}'
