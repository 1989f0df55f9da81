# Run by sh -c in the host's namespaces (cgroup namespace included), then execs the daemon, "$@".
# Moves this process out of the installer pod's cgroups into a "stockade" cgroup of every cgroup
# hierarchy of the host: when a hostPID container stops, runc kills every process left in its
# cgroups, and the daemons must outlive the installer's pod (every DaemonSet rollout restarts it).
for mount in $(awk '$4 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo); do
    target=$mount/stockade
    if ! mkdir -p "$target"; then
        echo "stockade: cannot create the cgroup $target; this daemon stops with the installer's pod" >&2
        continue
    fi
    for file in cpuset.cpus cpuset.mems cpus mems; do
        # A new cgroup v1 cpuset has no CPUs or memory nodes until it is given its parent's (v2
        # has no such file at the root and needs none).
        if [ -f "$target/$file" ] && [ -f "$mount/$file" ] && [ -z "$(cat "$target/$file")" ]; then
            cat "$mount/$file" > "$target/$file"
        fi
    done
    echo $$ > "$target/cgroup.procs" \
        || echo "stockade: cannot move into the cgroup $target; this daemon stops with the installer's pod" >&2
done
exec "$@"
