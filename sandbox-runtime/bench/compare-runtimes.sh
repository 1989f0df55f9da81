#!/usr/bin/env bash
# Side by side on this machine, in one run (asserts nothing): plain runc, runc with containerd's
# default seccomp profile (what RuntimeDefault pods get), Stockade (default profile, the node's
# spec server running) and gVisor's runsc (its default systrap platform: this VM has no KVM), all
# through one private containerd 2.x and its runc shim, where Stockade's launcher sits too (runsc
# has runc's command line; gVisor's own shim lost the exit status of short containers here:
# "sandbox no longer running and its exit status is unavailable"). Workloads are interleaved round
# by round, the runtimes' order rotating, so that the machine's drift reaches all alike; each
# figure is the median of the rounds with its spread (min-max) and its ratio to runc.
#
#   ./mvnw -B -pl sandbox-runtime -am package -DskipTests   # the payload (sandbox-runtime/target/payload)
#   sudo sandbox-runtime/bench/compare-runtimes.sh [rounds=5] [lifecycle-runs=20]
#
# runsc comes from test/cluster/build-tools gvisor and containerd 2.x from build-tools containerd2
# (built when missing; STOCKADE_GVISOR_BIN and STOCKADE_CONTAINERD2_BIN name other directories).
# The JVM start runs the payload's own JRE, the Python start Debian's python3, both copied into the
# image with their libraries. Needs root, runc, busybox (busybox-static), umoci, gcc with static
# glibc, iproute2.
set -euo pipefail

rounds=${1:-5}
lifecycle_runs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
payload=${STOCKADE_PAYLOAD:-$here/../target/payload}
[ -x "$payload/bin/stockade-runtime" ] || { echo "no payload at $payload: run ./mvnw -B -pl sandbox-runtime -am package -DskipTests first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
# shellcheck source=lib.sh
. "$here/lib.sh"
gvisor_bin=${STOCKADE_GVISOR_BIN:-$("$repo/test/cluster/build-tools" gvisor)/bin}
[ -x "$gvisor_bin/runsc" ] || { echo "no runsc in $gvisor_bin" >&2; exit 1; }
containerd_bin=${STOCKADE_CONTAINERD2_BIN:-$("$repo/test/cluster/build-tools" containerd2)/bin}
[ -x "$containerd_bin/containerd" ] || { echo "no containerd 2.x in $containerd_bin" >&2; exit 1; }
export PATH=$containerd_bin:$gvisor_bin:$PATH

work=$(mktemp -d /tmp/stockade-compare.XXXXXX)
containerd_pid=
spec_server_pid=
cleanup() {
    set +e
    [ -z "$spec_server_pid" ] || { kill "$spec_server_pid"; wait "$spec_server_pid"; } 2>/dev/null
    [ -z "$containerd_pid" ] || { kill "$containerd_pid"; wait "$containerd_pid"; } 2>/dev/null
    # Shims and sandboxes outlive their containerd: stop whatever still names this run's socket.
    for cmdline in /proc/[0-9]*/cmdline; do
        if tr '\0' ' ' 2>/dev/null < "$cmdline" | grep -q -- "$work/containerd.sock"; then
            pid=${cmdline#/proc/}; kill -9 "${pid%/cmdline}" 2>/dev/null
        fi
    done
    sleep 1
    [ -z "${netns:-}" ] || ip netns delete "$netns"
    grep " $work" /proc/mounts | cut -d' ' -f2 | sort -r | while read -r mount; do umount -l "$mount"; done
    rm -rf "$work"
}
trap cleanup EXIT

# ---- the image: busybox, the timing tool, a web root, 3000 small files, a JRE and a Python ----
rootfs=$work/rootfs
busybox_rootfs "$rootfs"
mkdir -p "$rootfs/www"
gcc -static -O2 -o "$rootfs/bin/bench-tool" "$here/bench-tool.c"
head -c 2048 /dev/urandom | base64 > "$rootfs/www/index.html"
mkdir -p "$work/files"
for d in $(seq 30); do
    mkdir -p "$work/files/d$d"
    for f in $(seq 100); do head -c 1024 /dev/urandom > "$work/files/d$d/f$f"; done
done
tar -C "$work/files" -cf "$rootfs/data.tar" .
# The shared libraries these programs load (and the dynamic loader), at the same paths in the image.
libraries_of() {
    ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } $1 ~ /^\// && /ld-linux/ { print $1 }' | sort -u | while read -r library; do
        cp -L --parents "$library" "$rootfs/"
    done
}
mkdir -p "$rootfs/jre"
cp -a "$payload/jre/." "$rootfs/jre/"
libraries_of "$payload/jre/bin/java" "$payload/jre/lib/server/libjvm.so" "$payload"/jre/lib/*.so
python=/usr/bin/python3   # Debian's, not a version manager's shim
[ -x "$python" ] || python=
if [ -n "$python" ]; then
    python_real=$(readlink -f "$python")
    cp -L --parents "$python_real" "$rootfs/"
    libraries_of "$python_real"
    ln -sf "$python_real" "$rootfs/bin/python3"
    stdlib=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
    mkdir -p "$rootfs$stdlib"
    tar -C "$stdlib" --exclude=test --exclude=idlelib --exclude=tkinter --exclude=ensurepip -cf - . | tar -C "$rootfs$stdlib" -xf -
    cp -a --parents /usr/lib/python3/dist-packages/. "$rootfs/" 2>/dev/null || true
fi
oci_image "$rootfs"

# One network namespace, loopback up, for every container (made before containerd's
# private mount namespace, which must see it): runsc's network stack copies the
# interfaces it finds, and ctr's fresh namespace has its loopback down (runc brings it up itself).
netns=stockade-compare-$$
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up

# ---- a private containerd ----
mkdir -p "$work/root" "$work/state" "$work/fifo"
cat > "$work/config.toml" <<TOML
version = 3
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$work/opt"
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
TOML
start_containerd "$work/config.toml"
ctr images import --base-name docker.io/stockade/bench "$work/image.tar" >/dev/null
image=docker.io/stockade/bench:latest


# Stockade as installed: a launcher naming the profile, and the node's spec server.
echo '{}' > "$work/profile.json"
cat > "$work/stockade" <<SH
#!/bin/sh
STOCKADE_SPEC_SERVER=$work/spec-server STOCKADE_PROFILE=$work/profile.json exec $payload/bin/stockade-runtime "\$@"
SH
chmod 755 "$work/stockade"
start_spec_server "$payload"

runtimes=(runc seccomp stockade runsc)
declare -A label=([runc]="runc" [seccomp]="runc + RuntimeDefault seccomp" [stockade]="Stockade" [runsc]="runsc (gVisor, systrap)")
options() {
    case $1 in
        runc) ;;
        seccomp) echo --seccomp ;;
        stockade) echo --runc-binary "$work/stockade" ;;
        # Behind containerd's runc shim, where Stockade's launcher sits too (runsc has runc's command line).
        runsc) echo --runc-binary "$gvisor_bin/runsc" ;;
    esac
}
sequence=0
run_in() {  # runtime, then the container's command: prints its stdout
    local runtime=$1; shift
    sequence=$((sequence + 1))
    # shellcheck disable=SC2046
    ctr run --rm --fifo-dir "$work/fifo" --with-ns "network:/run/netns/$netns" $(options "$runtime") "$image" "bench-$runtime-$sequence" "$@"
}
now() { date +%s%N; }

echo "warming up (page cache, snapshots, the spec server's JIT)" >&2
for runtime in "${runtimes[@]}"; do
    for _ in 1 2 3; do run_in "$runtime" true || { echo "$runtime: a warm-up container failed (status $?)" >&2; exit 1; }; done
done

# ---- 1. lifecycle: ctr run --rm … true, timed from outside ----
declare -A samples
for i in $(seq "$lifecycle_runs"); do
    for k in 0 1 2 3; do
        runtime=${runtimes[$(( (i + k) % 4 ))]}
        start=$(now); run_in "$runtime" true; samples[lifecycle.$runtime]+="$(( ($(now) - start) / 1000 )) "
    done
done

# ---- 2-6. steady-state workloads, timed inside the container (ms unless said) ----
# set -e: a workload that fails prints nothing, and its cell says so.
timed() { echo "set -e; t0=\$(bench-tool now); $1; t1=\$(bench-tool now); echo \$(( (t1 - t0) / 1000 ))"; }
declare -A workload=(
    [dd]="$(timed 'dd if=/dev/zero of=/dev/null bs=1 count=1000000 2>/dev/null')"
    [getpid]="bench-tool getpid 1000000"
    [uname]="bench-tool uname 1000000"
    [fork]="$(timed 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done')"
    [files]="$(timed 'mkdir /tmp/x && tar -xf /data.tar -C /tmp/x && find /tmp/x -type f -exec cat {} + > /dev/null')"
    [fsync]="$(timed 'dd if=/dev/zero of=/tmp/f bs=4096 count=2000 conv=fsync 2>/dev/null')"
    [http]="$(timed 'httpd -p 127.0.0.1:8080 -h /www && i=0 && while [ $i -lt 1000 ]; do wget -q -O /dev/null http://127.0.0.1:8080/; i=$((i + 1)); done')"
    [jvm]="$(timed 'for i in 1 2 3; do /jre/bin/java -Xshare:auto -version 2>/dev/null; done')"
)
[ -z "$python" ] || workload[python]="$(timed 'for i in 1 2 3 4 5; do python3 -c pass; done')"
order=(dd getpid uname fork files fsync http jvm)
[ -z "$python" ] || order+=(python)
for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    for name in "${order[@]}"; do
        for k in 0 1 2 3; do
            runtime=${runtimes[$(( (round + k) % 4 ))]}
            samples[$name.$runtime]+="$(run_in "$runtime" sh -c "${workload[$name]}" | tail -1) "
        done
    done
done

# ---- 7. memory: host memory of each runtime's own processes per idle container ----
pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
descendants() {  # pid: the pid and every process below it
    ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 } END {
        print root
        for (p in parent) { q = p; for (n = 0; n < 64 && q != root && q in parent; n++) q = parent[q]; if (q == root && p != root) print p } }'
}
idle=4
declare -A memory
for runtime in "${runtimes[@]}"; do
    ids=()
    for i in $(seq "$idle"); do
        sequence=$((sequence + 1)); id="idle-$runtime-$sequence"; ids+=("$id")
        # shellcheck disable=SC2046
        ctr run -d --fifo-dir "$work/fifo" $(options "$runtime") "$image" "$id" sleep 600 > /dev/null
    done
    sleep 3
    total=0
    for id in "${ids[@]}"; do
        shim=$(pgrep -f -- "-id $id -address $work/containerd.sock" | head -1)
        for pid in $(descendants "$shim"); do
            [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && continue   # the container's own program
            total=$((total + $(pss_kib "$pid")))
        done
    done
    memory[$runtime]=$((total / idle))
    for id in "${ids[@]}"; do
        ctr task kill -s KILL "$id" >/dev/null 2>&1 || true
    done
    sleep 1
    for id in "${ids[@]}"; do
        ctr task delete "$id" >/dev/null 2>&1 || true
        ctr container delete "$id" >/dev/null 2>&1 || true
    done
done
spec_server_pss=$(pss_kib "$spec_server_pid")

# ---- the table ----
stats() {  # numbers: "median min max"
    tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
row() {  # title, unit, divisor, key
    local title=$1 unit=$2 divisor=$3 key=$4 line base
    read -r base _ _ <<< "$(echo "${samples[$key.runc]}" | stats)"
    line="| $title |"
    for runtime in "${runtimes[@]}"; do
        read -r median low high <<< "$(echo "${samples[$key.$runtime]}" | stats)"
        line+=" $(awk -v m="$median" -v l="$low" -v h="$high" -v b="$base" -v d="$divisor" -v u="$unit" 'BEGIN {
            if (m == "-") { print "failed"; exit }
            printf "%.1f %s (%.1f-%.1f), %.2fx", m / d, u, l / d, h / d, (b > 0 ? m / b : 0) }') |"
    done
    echo "$line"
}
{
    echo "Runtime comparison, $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r); $rounds interleaved rounds ($lifecycle_runs lifecycle runs): median (min-max), ratio to runc"
    echo "runc $(runc --version | head -1 | awk '{ print $3 }'), containerd $(containerd --version | awk '{ print $3 }'), runsc $("$gvisor_bin/runsc" --version | head -1 | awk '{ print $3 }')"
    echo
    echo "| workload | ${label[runc]} | ${label[seccomp]} | ${label[stockade]} | ${label[runsc]} |"
    echo "| --- | --- | --- | --- | --- |"
    row "1. lifecycle: ctr run --rm true" ms 1000 lifecycle
    row "2. dd bs=1, 1 MB (2 calls per byte)" ms 1000 dd
    row "2. getpid, per call" ns 1 getpid
    row "2. uname, per call" ns 1 uname
    row "3. 1000 fork+exec of true" ms 1000 fork
    row "4. unpack and read 3000 files of 1 KiB" ms 1000 files
    row "4. write 8 MiB, then fsync" ms 1000 fsync
    row "5. 1000 HTTP requests on loopback (busybox httpd, wget)" ms 1000 http
    row "6. JVM start (java -version), 3 times" ms 1000 jvm
    [ -z "$python" ] || row "6. Python start (python3 -c pass), 5 times" ms 1000 python
    line="| 7. host memory per idle container: the runtime's own processes (PSS) |"
    for runtime in "${runtimes[@]}"; do
        line+=" $(awk -v m="${memory[$runtime]}" -v b="${memory[runc]}" 'BEGIN { printf "%.1f MiB, %.2fx", m / 1024, (b > 0 ? m / b : 0) }') |"
    done
    echo "$line"
    echo
    echo "Memory: the shim and what it starts (runsc's sandbox and gofer), not the container's own sleep, over $idle idle containers per runtime;"
    echo "Stockade adds its spec server once per node, not per container: $((spec_server_pss / 1024)) MiB PSS here."
}
