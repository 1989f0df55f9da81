# Run by sh -c in the host's namespaces once the daemons are stopped: removes the "stockade"
# cgroup of every hierarchy that has one; fails, naming it, when one is still in use after 10 s.
# A stopped JVM's main thread turns zombie before its other threads have left the cgroup, and
# rmdir fails with EBUSY until the last one has: so a busy cgroup is tried again for a while.
status=0
for mount in $(awk '$4 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo); do
    [ -d "$mount/stockade" ] || continue
    tries=100
    until rmdir "$mount/stockade" 2>/dev/null || [ ! -d "$mount/stockade" ]; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            echo "cannot remove the cgroup $mount/stockade: the processes $(cat "$mount/stockade/cgroup.procs" 2>/dev/null | tr '\n' ' ')are still in it after 10 s" >&2
            status=1
            break
        fi
        sleep 0.1
    done
done
exit $status
