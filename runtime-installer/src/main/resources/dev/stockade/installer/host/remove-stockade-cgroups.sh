# Run by sh -c in the host's namespaces once the daemons are stopped: removes the "stockade"
# cgroup of every hierarchy that has one; fails, naming it, when one is still in use.
status=0
for mount in $(awk '$4 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo); do
    if [ -d "$mount/stockade" ] && ! rmdir "$mount/stockade"; then
        echo "cannot remove the cgroup $mount/stockade: $(cat "$mount/stockade/cgroup.procs" 2>/dev/null | tr '\n' ' ')still in it" >&2
        status=1
    fi
done
exit $status
