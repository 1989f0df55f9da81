#!/usr/bin/env bash
# Benchmark (asserts nothing): latency of uname inside a busybox container run by the host's runc,
#   native (no seccomp notification), answered by the Stockade supervisor (Java, FFM), and
#   answered by a minimal C agent (bench/reference-agent.c) in the same run;
#   with the agent on the caller's CPU and on another CPU; then 50 containers calling at once.
#
#   ./mvnw -B -o -f sandbox-runtime/supervisor/pom.xml package -DskipTests
#   sudo sandbox-runtime/supervisor/bench/run-benchmark.sh [calls-per-container]
#
# Needs root, runc, busybox (busybox-static), gcc, taskset (util-linux), 2 or more CPUs.
set -euo pipefail

calls=${1:-20000}
here=$(cd "$(dirname "$0")" && pwd)
module=$here/..
jar=$(ls "$module"/target/stockade-supervisor-*.jar 2>/dev/null | head -1)
[ -n "$jar" ] && [ -d "$module/target/lib" ] || { echo "build first: ./mvnw -B -o -f sandbox-runtime/supervisor/pom.xml package -DskipTests" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

work=$(mktemp -d /tmp/stockade-supervisor-bench.XXXXXX)
agent_pid=
cleanup() {
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
    for id in $(runc --root "$work/runc" list -q 2>/dev/null); do runc --root "$work/runc" delete -f "$id" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
gcc -static -O2 -o "$rootfs/bin/notify-probe" "$module/src/test/resources/probe/notify-probe.c"
gcc -O2 -pthread -o "$work/reference-agent" "$here/reference-agent.c"

# config.json for: name, cpus ("" = any), notify (yes/no)
bundle() {
    local name=$1 cpus=$2 notify=$3 dir=$work/bundles/$1
    mkdir -p "$dir"
    local seccomp=
    if [ "$notify" = yes ]; then
        seccomp=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
          "listenerPath":"'$work'/agent.sock",
          "listenerMetadata":"{\"policy\":\"bench\",\"namespace\":\"bench\",\"pod\":\"'$name'\",\"container\":\"probe\",\"kernelIdentity\":{\"release\":\"4.4.0\"}}",
          "syscalls":[{"names":["uname"],"action":"SCMP_ACT_NOTIFY"}]}'
    fi
    local resources=
    [ -n "$cpus" ] && resources=',"resources":{"cpu":{"cpus":"'$cpus'"}}'
    cat > "$dir/config.json" <<JSON
{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["/bin/notify-probe","latency","$calls"],
 "env":["PATH=/bin"],"cwd":"/","noNewPrivileges":true},
 "root":{"path":"$rootfs"},"hostname":"$name",
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755"]}],
 "linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]$resources$seccomp}}
JSON
    echo "$dir"
}

run() { runc --root "$work/runc" run --bundle "$(bundle "$1" "$2" "$3")" "$1" 2>&1; }

start_supervisor() {
    taskset -c "$1" "$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xss512k -XX:-UsePerfData \
        -cp "$jar:$module/target/lib/*" dev.stockade.supervisor.SupervisorMain run --socket "$work/agent.sock" --metrics off \
        2> "$work/supervisor.log" &
    agent_pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/supervisor.log" 2>/dev/null && return; sleep 0.1; done
    echo "the supervisor did not start:" >&2; cat "$work/supervisor.log" >&2; exit 1
}
start_reference() { taskset -c "$1" "$work/reference-agent" "$work/agent.sock" & agent_pid=$!; sleep 0.3; }
stop_agent() { kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=; rm -f "$work/agent.sock" "$work/agent.sock.handover"; }

# "p50_ns=… p99_ns=… max_ns=… release=…" -> "p50 µs  p99 µs"
us() { sed -E 's/.*p50_ns=([0-9]+) p99_ns=([0-9]+).*/\1 \2/' | awk '{printf "%8.1f %8.1f", $1/1000, $2/1000}'; }

echo "uname latency inside a container, $calls calls each (µs)"
printf '%-34s %8s %8s\n' "" p50 p99
printf '%-34s %s\n' "native (no notification)" "$(run native-0 0 no | us)"
printf '%-34s %s\n' "native (no notification), cross" "$(run native-1 1 no | us)"
for placement in same cross; do
    [ $placement = same ] && cpus=0 || cpus=1
    start_supervisor 0
    run "warm-$placement" "$cpus" yes > /dev/null   # the JIT compiles the answer loop; a node's daemon is warm
    printf '%-34s %s\n' "stockade supervisor, $placement CPU" "$(run "java-$placement" "$cpus" yes | us)"
    stop_agent
    start_reference 0
    printf '%-34s %s\n' "C reference agent, $placement CPU" "$(run "c-$placement" "$cpus" yes | us)"
    stop_agent
done

concurrent() {
    local label=$1 pids=()
    for i in $(seq 50); do
        run "$label-$i" "" yes > "$work/$label-$i.out" & pids+=($!)
    done
    wait "${pids[@]}"
    cat "$work/$label"-*.out | grep -c release=4.4.0 | sed 's/^/containers answered: /' >&2
    # median of the containers' p50s, and the worst p99
    cat "$work/$label"-*.out | sed -E 's/.*p50_ns=([0-9]+) p99_ns=([0-9]+).*/\1 \2/' | sort -n \
        | awk '{p50[NR]=$1; if ($2>worst) worst=$2} END {printf "%8.1f %8.1f", p50[int((NR+1)/2)]/1000, worst/1000}'
}
calls=$((calls / 10))
echo
echo "50 containers at once, $calls calls each, unpinned (median p50, worst p99; µs)"
start_supervisor 0-63
run warm-50 "" yes > /dev/null
printf '%-34s %s\n' "stockade supervisor" "$(concurrent java50)"
stop_agent
start_reference 0-63
printf '%-34s %s\n' "C reference agent" "$(concurrent c50)"
stop_agent
