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
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$(mktemp -d /tmp/stockade-bench.XXXXXX)
containerd_pid=
spec_server_pid=
cleanup() {
    if [ -n "$spec_server_pid" ]; then
        kill "$spec_server_pid" 2>/dev/null || true
        wait "$spec_server_pid" 2>/dev/null || true
    fi
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
busybox_rootfs "$work/rootfs"
oci_image "$work/rootfs"

mkdir -p "$work/root" "$work/state" "$work/fifo" "$work/runc"
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
start_containerd "$work/config.toml"
ctr images import --base-name docker.io/stockade/busybox "$work/image.tar" >/dev/null
image=docker.io/stockade/busybox:latest

echo '{}' > "$work/profile.json"
# As installed: the launcher asks the node's spec server (started below as the installer starts it).
# The fallback: a spec server directory with no server, so every create starts a JVM.
for variant in default:"$work/spec-server" jvm:"$work/no-spec-server"; do
    cat > "$work/stockade-${variant%%:*}" <<SH
#!/bin/sh
STOCKADE_SPEC_SERVER=${variant#*:} STOCKADE_PROFILE=$work/profile.json exec $payload/bin/stockade-runtime "\$@"
SH
    chmod 755 "$work/stockade-${variant%%:*}"
done
start_spec_server "$payload"

run_options=(--rm --fifo-dir "$work/fifo" --runc-root "$work/runc")
now() { date +%s%N; }

# Warm every path once (page cache, containerd snapshots, the spec server's JIT).
ctr run "${run_options[@]}" "$image" warm-runc true
for i in 1 2 3 4 5; do ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" "warm-stockade-$i" true; done
ctr run "${run_options[@]}" --runc-binary "$work/stockade-jvm" "$image" warm-stockade-jvm true

# Interleaved, so that the machine's load drifts over all three alike.
runc_ns=0
stockade_ns=0
jvm_ns=0
for i in $(seq "$iterations"); do
    start=$(now); ctr run "${run_options[@]}" "$image" "runc-$i" true; runc_ns=$((runc_ns + $(now) - start))
    start=$(now); ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" "stockade-$i" true
    stockade_ns=$((stockade_ns + $(now) - start))
    start=$(now); ctr run "${run_options[@]}" --runc-binary "$work/stockade-jvm" "$image" "stockade-jvm-$i" true
    jvm_ns=$((jvm_ns + $(now) - start))
done
spec_server_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$spec_server_pid/status")

# Steady state: a syscall-heavy workload (dd with 1-byte blocks: two syscalls per byte) timed in
# milliseconds inside the container. Besides unconfined runc, runc with a
# one-rule seccomp filter (allow everything but acct) shows what having any filter at all costs,
# and runc with containerd's default profile what a pod with RuntimeDefault seccomp pays.
# /proc/uptime has 10 ms resolution, fine for a workload of seconds (busybox date has no %N).
workload="s=\$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/null bs=1 count=$dd_bytes 2>/dev/null; e=\$(cut -d' ' -f1 /proc/uptime); awk -v s=\$s -v e=\$e 'BEGIN { printf \"%d\\n\", (e - s) * 1000 }'"
echo '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["acct"],"action":"SCMP_ACT_ERRNO"}]}' \
    > "$work/one-rule-seccomp.json"
# Interleaved rounds, so that the machine's drift reaches every variant alike; median of 7.
dd_rounds=7
declare -A dd_times
for round in $(seq "$dd_rounds"); do
    dd_times[runc]+="$(ctr run "${run_options[@]}" "$image" "dd-runc-$round" sh -c "$workload") "
    dd_times[one_rule]+="$(ctr run "${run_options[@]}" --seccomp --seccomp-profile "$work/one-rule-seccomp.json" "$image" "dd-one-rule-$round" sh -c "$workload") "
    dd_times[runtime_default]+="$(ctr run "${run_options[@]}" --seccomp "$image" "dd-runtime-default-$round" sh -c "$workload") "
    dd_times[stockade]+="$(ctr run "${run_options[@]}" --runc-binary "$work/stockade-default" "$image" "dd-stockade-$round" sh -c "$workload") "
done
median() { tr ' ' '\n' | grep . | sort -n | sed -n "$(( (dd_rounds + 1) / 2 ))p"; }
dd_runc=$(echo "${dd_times[runc]}" | median)
dd_runc_one_rule=$(echo "${dd_times[one_rule]}" | median)
dd_runc_seccomp=$(echo "${dd_times[runtime_default]}" | median)
dd_stockade=$(echo "${dd_times[stockade]}" | median)

awk -v n="$iterations" -v r="$runc_ns" -v s="$stockade_ns" -v j="$jvm_ns" -v rss="$spec_server_rss" -v dr="$dd_runc" -v ds="$dd_stockade" -v dsc="$dd_runc_seccomp" -v d1="$dd_runc_one_rule" -v bytes="$dd_bytes" 'BEGIN {
    printf "lifecycle (ctr run --rm true, %d runs each): runc %.1f ms, stockade %.1f ms per container, ratio %.2fx (target <= 1.3x)\n", n, r / n / 1e6, s / n / 1e6, s / r
    printf "  without the spec server (a JVM per create, the fallback): %.1f ms, ratio %.2fx; the spec server'"'"'s resident memory: %d MiB\n", j / n / 1e6, j / r, rss / 1024
    printf "steady state (dd bs=1 count=%d, median of 7 interleaved, timed inside): runc %d ms, stockade %d ms, ratio %.3fx (target <= 1.02x)\n", bytes, dr, ds, ds / dr
    printf "  runc with a one-rule seccomp filter: %d ms (%.3fx runc); stockade/that %.3fx\n", d1, d1 / dr, ds / d1
    printf "  runc with containerd'"'"'s default seccomp profile (ctr run --seccomp): %d ms (%.3fx runc); stockade/that %.3fx\n", dsc, dsc / dr, ds / dsc
}'
