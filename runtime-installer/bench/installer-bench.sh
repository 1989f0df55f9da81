#!/bin/sh
# Measures the installer's command-line costs on a fake host tree (no container runtime is touched):
# JVM start (--help), first install, the idempotent re-install that run mode repeats every
# STOCKADE_RECONCILE_SECONDS, status and uninstall; runc --version is the same-run reference.
# Usage: runtime-installer/bench/installer-bench.sh [runs]   (after ./mvnw -pl runtime-installer package)
set -eu
runs=${1:-5}
module=$(cd "$(dirname "$0")/.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$module/target/stockade-runtime-installer-0.1.0-SNAPSHOT.jar
[ -f "$jar" ] && [ -d "$module/target/lib" ] || { echo "build first: ./mvnw -pl runtime-installer package -DskipTests" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=${STOCKADE_PAYLOAD:-$module/target/payload}
if [ ! -x "$payload/bin/stockade-runtime" ]; then
    # Without the real payload the copy is smaller than a jlinked JRE: say so in the output.
    payload=$work/payload
    mkdir -p "$payload/bin" "$payload/lib"
    echo 0.0.0-bench > "$payload/VERSION"
    printf '#!/bin/sh\nexec runc "$@"\n' > "$payload/bin/stockade-runtime"
    chmod +x "$payload/bin/stockade-runtime"
    echo "payload: stand-in (no real payload at target/payload; set STOCKADE_PAYLOAD)"
else
    echo "payload: $payload ($(du -sh "$payload" | cut -f1))"
fi
mkdir -p "$work/profiles"
echo '{}' > "$work/profiles/untrusted.json"
echo '{}' > "$work/profiles/strict.json"

export STOCKADE_POLICY=bench STOCKADE_HANDLERS=untrusted=stockade-untrusted,strict=stockade-strict \
    STOCKADE_CONTAINER_RUNTIME=containerd STOCKADE_PROFILE_SOURCE=$work/profiles STOCKADE_PAYLOAD=$payload \
    STOCKADE_RESTART=command:true STOCKADE_RUNTIME_SOCKET=none STOCKADE_VERIFY=files

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
    label=$1; shift
    : > "$work/times"
    i=0
    while [ "$i" -lt "$runs" ]; do
        host=$work/host-$label-$i
        mkdir -p "$host/etc/containerd"
        printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.9"\n' > "$host/etc/containerd/config.toml"
        case $label in reinstall|status|uninstall) STOCKADE_HOST_ROOT=$host "$java" -jar "$jar" install > /dev/null 2>&1 ;; esac
        start=$(now)
        STOCKADE_HOST_ROOT=$host "$@" > /dev/null 2>&1
        echo $(( ($(now) - start) / 1000000 )) >> "$work/times"
        i=$((i + 1))
    done
    printf '%-10s median %5s ms over %s runs\n' "$label" "$(median < "$work/times")" "$runs"
}
measure runc runc --version
measure help "$java" -jar "$jar" --help
measure install "$java" -jar "$jar" install
measure reinstall "$java" -jar "$jar" install
measure status "$java" -jar "$jar" status
measure uninstall "$java" -jar "$jar" uninstall
