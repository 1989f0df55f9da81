# Shared by the runtime benchmarks (run-benchmark.sh, compare-runtimes.sh); sourced, not run.
# Each function works in the caller's scratch directory $work.

# busybox_rootfs DIR: a root filesystem of busybox-static with every applet and a passwd file.
busybox_rootfs() {
    local rootfs=$1
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
    cp "$(command -v busybox)" "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
}

# oci_image DIR [NAME=image [CMD]]: DIR as an OCI image layout (tag latest, CMD its default command),
# tarred into $work/NAME.tar for ctr images import.
oci_image() {
    local name=${2:-image}
    umoci init --layout "$work/oci-$name" >/dev/null
    umoci new --image "$work/oci-$name:latest" >/dev/null
    umoci insert --image "$work/oci-$name:latest" "$1" / >/dev/null
    [ -z "${3:-}" ] || umoci config --image "$work/oci-$name:latest" --config.cmd "$3" >/dev/null
    tar -C "$work/oci-$name" -cf "$work/$name.tar" .
}

# start_containerd CONFIG [NETNS]: runs `containerd --config CONFIG` in a mount namespace of its own
# whose /run/containerd is $work/run (shims and FIFOs go there whatever the config says), sets
# containerd_pid, waits until it answers on $work/containerd.sock and defines ctr() for it.
# With NETNS (a name under /run/netns) containerd runs in that network namespace, so that its CRI
# plugin's CNI plugins make their bridge there and not on the host, and its /var/lib/cni (the CNI
# result cache, which no setting moves) is $work/cni-cache; the host must have /var/lib/cni.
start_containerd() {
    local enter=()
    mkdir -p "$work/run" /run/containerd
    if [ -n "${2:-}" ]; then
        enter=(nsenter "--net=/run/netns/$2")
        mkdir -p "$work/cni-cache"
    fi
    "${enter[@]}" unshare --mount --propagation private sh -c 'mount --bind "$1" /run/containerd &&
        { [ ! -d "$3" ] || mount --bind "$3" /var/lib/cni; } && exec containerd --config "$2"' sh \
        "$work/run" "$1" "$work/cni-cache" > "$work/containerd.log" 2>&1 &
    containerd_pid=$!
    for _ in $(seq 100); do
        command ctr --address "$work/containerd.sock" version >/dev/null 2>&1 && break
        sleep 0.1
    done
    ctr() { command ctr --address "$work/containerd.sock" "$@"; }
}

# start_spec_server PAYLOAD: the node's resident spec server on $work/spec-server, as the installer
# starts it, in containerd's mount namespace when start_containerd made one (the server answers
# only launchers in its own mount namespace, whose files it sees); sets spec_server_pid and returns
# once it serves (exits the script if it does not).
start_spec_server() {
    local enter=()
    [ -z "${containerd_pid:-}" ] || enter=(nsenter "--mount=/proc/$containerd_pid/ns/mnt")
    "${enter[@]}" "$1/bin/stockade-spec-server" --dir "$work/spec-server" > "$work/spec-server.log" 2>&1 &
    spec_server_pid=$!
    for _ in $(seq 100); do
        [ -p "$work/spec-server/requests" ] && [ "$(cat "$work/spec-server/pid" 2>/dev/null)" = "$spec_server_pid" ] && break
        sleep 0.1
    done
    [ -p "$work/spec-server/requests" ] || { echo "the spec server did not start: $(cat "$work/spec-server.log")" >&2; exit 1; }
}
