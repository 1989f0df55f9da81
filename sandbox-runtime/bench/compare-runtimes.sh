#!/usr/bin/env bash
# Side by side on this machine, in one run (asserts nothing): plain runc, runc with containerd's
# default seccomp profile (what RuntimeDefault pods get), Stockade (default profile, the node's
# spec server running) and gVisor's runsc (its default systrap platform: this VM has no KVM), all
# through one private containerd 2.x. `ctr run` goes through its runc shim, where Stockade's
# launcher sits too (runsc has runc's command line; gVisor's own shim lost the exit status of
# containers run alone by ctr here: "sandbox no longer running and its exit status is
# unavailable"). Pods go through its CRI plugin, as the kubelet's do, with crictl: runtime handlers
# runc, stockade (the runc shim with Stockade's launcher as its binary) and runsc (gVisor's own
# shim, io.containerd.runsc.v1, as gVisor's docs register it), RuntimeDefault seccomp asked for in
# the pod's and container's security context, a CNI bridge in a network namespace of containerd's
# own and a local pause image. Workloads are interleaved round by round, the runtimes' order
# rotating, so that the machine's drift reaches all alike; each figure is the median of the rounds
# with its spread (min-max) and its ratio to runc.
#
#   ./mvnw -B -pl sandbox-runtime -am package -DskipTests   # the payload (sandbox-runtime/target/payload)
#   sudo sandbox-runtime/bench/compare-runtimes.sh [rounds=5] [lifecycle-runs=20]
#
# runsc and containerd-shim-runsc-v1 come from test/cluster/build-tools gvisor, containerd 2.x from
# build-tools containerd2 and crictl from build-tools crictl (built when missing;
# STOCKADE_GVISOR_BIN, STOCKADE_CONTAINERD2_BIN and STOCKADE_CRICTL_BIN name other directories).
# The JVM start runs the payload's own JRE, the Python start Debian's python3, both copied into the
# image with their libraries. Needs root, runc, busybox (busybox-static), umoci, gcc with static
# glibc, iproute2, the CNI plugins in /usr/lib/cni (containernetworking-plugins).
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
crictl_bin=${STOCKADE_CRICTL_BIN:-$("$repo/test/cluster/build-tools" crictl)/bin}
[ -x "$crictl_bin/crictl" ] || { echo "no crictl in $crictl_bin" >&2; exit 1; }
for plugin in bridge host-local loopback; do
    [ -x "/usr/lib/cni/$plugin" ] || { echo "no CNI plugin /usr/lib/cni/$plugin: install containernetworking-plugins" >&2; exit 1; }
done
# containerd finds containerd-shim-runsc-v1, and that shim runsc, on PATH.
export PATH=$containerd_bin:$gvisor_bin:$crictl_bin:$PATH

work=$(mktemp -d /tmp/stockade-compare.XXXXXX)
containerd_pid=
spec_server_pid=
made_cni_cache=
cleanup() {
    set +e
    # Pods first, while containerd can still stop their sandboxes and release their networks
    # (through this run's crictl.yaml only: crictl's default is the host's containerd).
    [ -z "$containerd_pid" ] || [ ! -f "$work/crictl.yaml" ] || command crictl --config "$work/crictl.yaml" rmp --all --force >/dev/null 2>&1
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
    [ -z "${node_netns:-}" ] || ip netns delete "$node_netns"
    [ -z "$made_cni_cache" ] || rmdir /var/lib/cni
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
# The pods' image, small: busybox, and the test cluster's pause program as its command (the
# sandbox image: no registry here to pull Kubernetes' own).
busybox_rootfs "$work/cri-rootfs"
gcc -static -O2 -o "$work/cri-rootfs/pause" "$repo/test/cluster/lib/pause.c"
oci_image "$work/cri-rootfs" cri /pause

# One network namespace, loopback up, for every container (made before containerd's
# private mount namespace, which must see it): runsc's network stack copies the
# interfaces it finds, and ctr's fresh namespace has its loopback down (runc brings it up itself).
netns=stockade-compare-$$
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
# containerd's own network namespace, the pods' "host": the CNI bridge plugin makes its bridge
# and the pods' veth ends there.
node_netns=stockade-compare-node-$$
ip netns add "$node_netns"
ip netns exec "$node_netns" ip link set lo up
# The CNI result cache has no setting: containerd's mount namespace gets $work/cni-cache over
# /var/lib/cni, which must exist (made here, removed at exit).
[ -d /var/lib/cni ] || { mkdir /var/lib/cni; made_cni_cache=1; }

# ---- a private containerd, with its CRI plugin ----
mkdir -p "$work/root" "$work/state" "$work/fifo" "$work/cni-conf" "$work/pod-logs"
cat > "$work/cni-conf/10-bench.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "stockade-bench-pods",
  "plugins": [
    {"type": "bridge", "bridge": "bench0", "isGateway": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.250.0.0/24"}]], "dataDir": "$work/cni-ipam"}},
    {"type": "loopback"}
  ]
}
JSON
# gVisor's containerd quick start: the shim's runsc flags in a TOML file named by ConfigPath.
printf '[runsc_config]\n  platform = "systrap"\n' > "$work/runsc.toml"
cri_runtime="plugins.'io.containerd.cri.v1.runtime'"
cat > "$work/config.toml" <<TOML
version = 3
root = "$work/root"
state = "$work/state"
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$work/opt"
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "docker.io/stockade/cri:latest"
  [$cri_runtime]
    # This machine's root lacks CAP_SYS_RESOURCE: no negative oom_score_adj for the pause container.
    restrict_oom_score_adj = true
    # The pods' network namespaces under $work/state, not the host's /run/netns.
    netns_mounts_under_state_dir = true
    [$cri_runtime.cni]
      bin_dirs = ["/usr/lib/cni"]
      conf_dir = "$work/cni-conf"
    [$cri_runtime.containerd]
      default_runtime_name = "runc"
      [$cri_runtime.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
      [$cri_runtime.containerd.runtimes.stockade]
        runtime_type = "io.containerd.runc.v2"
        [$cri_runtime.containerd.runtimes.stockade.options]
          BinaryName = "$work/stockade"
      [$cri_runtime.containerd.runtimes.runsc]
        runtime_type = "io.containerd.runsc.v1"
        [$cri_runtime.containerd.runtimes.runsc.options]
          TypeUrl = "io.containerd.runsc.v1.options"
          ConfigPath = "$work/runsc.toml"
TOML
start_containerd "$work/config.toml" "$node_netns"
ctr images import --base-name docker.io/stockade/bench "$work/image.tar" >/dev/null
image=docker.io/stockade/bench:latest
ctr --namespace k8s.io images import --base-name docker.io/stockade/cri "$work/cri.tar" >/dev/null
printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$work/containerd.sock" "$work/containerd.sock" > "$work/crictl.yaml"
crictl() { command crictl --config "$work/crictl.yaml" "$@"; }


# Stockade as installed: a launcher naming the profile and this containerd's root and state (where
# its CRI plugin keeps each pod's hostname, hosts, resolv.conf and shm), and the node's spec server.
echo '{}' > "$work/profile.json"
cat > "$work/stockade" <<SH
#!/bin/sh
STOCKADE_SPEC_SERVER=$work/spec-server STOCKADE_PROFILE=$work/profile.json STOCKADE_ENGINE_DIRECTORIES="containerd:$work/root containerd:$work/state" exec $payload/bin/stockade-runtime "\$@"
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

# A pod through the CRI, as the kubelet runs one: the runtime's handler; for seccomp, runc's with
# RuntimeDefault in the pod's and the container's security context (unset means unconfined).
mkdir -p "$work/cri"
for runtime in "${runtimes[@]}"; do
    seccomp=
    [ "$runtime" != seccomp ] || seccomp='"seccomp": {"profile_type": 0},'   # 0: RuntimeDefault
    cat > "$work/cri/pod-$runtime.json" <<JSON
{"metadata": {"name": "bench-$runtime", "namespace": "bench", "uid": "bench-$runtime"},
 "log_directory": "$work/pod-logs", "linux": {"security_context": {$seccomp "namespace_options": {}}}}
JSON
    cat > "$work/cri/container-$runtime.json" <<JSON
{"metadata": {"name": "true"}, "image": {"image": "docker.io/stockade/cri:latest"}, "command": ["/bin/true"],
 "log_path": "true-$runtime.log", "linux": {"security_context": {$seccomp "namespace_options": {}}}}
JSON
done
declare -A handler=([runc]=runc [seccomp]=runc [stockade]=stockade [runsc]=runsc)
pod_lifecycle() {  # runtime: one pod; crictl's warnings (no cgroup_parent) go to a log, shown if the pod fails
    pod_steps "$1" 2>> "$work/crictl.log" || { echo "$1: a pod failed: $(tail -5 "$work/crictl.log")" >&2; return 1; }
}
pod_steps() {  # runtime: runp, create, start, wait for `true` to exit 0, rm, stopp, rmp; 1 on the first failure
    local runtime=$1 pod container state= deadline=$((SECONDS + 30))
    pod=$(crictl runp --runtime "${handler[$runtime]}" "$work/cri/pod-$runtime.json") || return 1
    container=$(crictl create "$pod" "$work/cri/container-$runtime.json" "$work/cri/pod-$runtime.json") || return 1
    crictl start "$container" >/dev/null || return 1
    while [ "${state%% *}" != CONTAINER_EXITED ] && [ "$SECONDS" -lt "$deadline" ]; do
        state=$(crictl inspect --output go-template --template '{{.status.state}} {{.status.exitCode}}' "$container") || return 1
    done
    [ "$state" = "CONTAINER_EXITED 0" ] || { echo "$runtime: the pod's container is '$state', not exited with 0, after 30 s" >&2; return 1; }
    crictl rm "$container" >/dev/null && crictl stopp "$pod" >/dev/null && crictl rmp "$pod" >/dev/null
}

echo "warming up (page cache, snapshots, the spec server's JIT)" >&2
for runtime in "${runtimes[@]}"; do
    for _ in 1 2 3; do run_in "$runtime" true || { echo "$runtime: a warm-up container failed (status $?)" >&2; exit 1; }; done
    pod_lifecycle "$runtime" || { echo "$runtime: a warm-up pod failed; containerd's log: $(tail -20 "$work/containerd.log")" >&2; exit 1; }
done

# ---- 1. lifecycle: ctr run --rm … true, timed from outside ----
declare -A samples
for i in $(seq "$lifecycle_runs"); do
    for k in 0 1 2 3; do
        runtime=${runtimes[$(( (i + k) % 4 ))]}
        start=$(now); run_in "$runtime" true; samples[lifecycle.$runtime]+="$(( ($(now) - start) / 1000 )) "
    done
done
# ---- 1. lifecycle: a pod through the CRI, crictl runp … rmp, timed from outside ----
for i in $(seq "$lifecycle_runs"); do
    for k in 0 1 2 3; do
        runtime=${runtimes[$(( (i + k) % 4 ))]}
        start=$(now); pod_lifecycle "$runtime" || exit 1; samples[pod.$runtime]+="$(( ($(now) - start) / 1000 )) "
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
# Stockade's figures are the spec server's: launchers it cannot see the files of run their own JVMs.
if grep -q "another mount namespace" "$work/spec-server.log"; then
    echo "the spec server runs in another mount namespace than containerd, so Stockade's figures are not the server's" >&2
    exit 1
fi
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
    echo "runc $(runc --version | head -1 | awk '{ print $3 }'), containerd $(containerd --version | awk '{ print $3 }'), runsc $("$gvisor_bin/runsc" --version | head -1 | awk '{ print $3 }'), crictl $(crictl --version | awk '{ print $3 }')"
    echo
    echo "| workload | ${label[runc]} | ${label[seccomp]} | ${label[stockade]} | ${label[runsc]} |"
    echo "| --- | --- | --- | --- | --- |"
    row "1. lifecycle: ctr run --rm true" ms 1000 lifecycle
    row "1. lifecycle: CRI pod (crictl runp…rmp)" ms 1000 pod
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
