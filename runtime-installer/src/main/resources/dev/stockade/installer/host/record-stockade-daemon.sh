# Run by sh -c in the host's namespaces, then execs the daemon, "$@" after the first argument.
# Records this process in the directory $1 (under this install's host root) as a file named by its
# pid that holds its start time, field 22 of /proc/PID/stat. exec keeps both, so the record names
# the daemon itself; the installer finds its daemons by these records only. A daemon that cannot be
# recorded is not started: no installer would ever find or stop it.
records=$1
shift
if ! mkdir -p -m 700 "$records"; then
    echo "stockade: cannot create $records; not starting the daemon" >&2
    exit 1
fi
# The command name in parentheses may hold spaces: count the fields after its last ") ".
start=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$$/stat")
case $start in
    '' | *[!0-9]*)
        echo "stockade: cannot read this process's start time from /proc/$$/stat; not starting the daemon" >&2
        exit 1
        ;;
esac
if ! { echo "$start" > "$records/$$.new" && mv -f "$records/$$.new" "$records/$$"; }; then
    echo "stockade: cannot record this process in $records; not starting the daemon" >&2
    exit 1
fi
exec "$@"
