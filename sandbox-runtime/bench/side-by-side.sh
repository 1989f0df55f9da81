#!/usr/bin/env bash
# Stockade beside plain runc and gVisor's runsc, in one command (as root): the benchmark
# (compare-runtimes.sh), then the attack and program tables (SideBySideWithGvisorIT, whose rows
# fail the run if Stockade stops blocking an attack or running a program) and the seed's demo in
# Docker with runsc registered (GvisorInDockerIT). Prints all four tables
# with the date and the versions; the README's "Side by side with gVisor" shows the latest.
#
#   sudo sandbox-runtime/bench/side-by-side.sh [rounds=5] [lifecycle-runs=20]
#
# Builds what it needs first (the payload, the supervisor); runsc and containerd 2.x come from
# test/cluster/build-tools, as for compare-runtimes.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$repo"
./mvnw -B -q install -DskipTests -pl sandbox-runtime/supervisor -am >&2
benchmark=$("$here/compare-runtimes.sh" "${1:-5}" "${2:-20}")
CI=true ./mvnw -B -q -pl sandbox-runtime/supervisor verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test='SideBySideWithGvisorIT,GvisorInDockerIT' >&2
echo "$benchmark"
echo
echo "Attacks, the same bundle under each runtime (SideBySideWithGvisorIT):"
echo
cat sandbox-runtime/supervisor/target/side-by-side-security.md
echo
echo "Ordinary programs, the same image under each runtime:"
echo
cat sandbox-runtime/supervisor/target/side-by-side-compatibility.md
echo
echo "The seed's demo in a real Docker engine with runsc among its runtimes (GvisorInDockerIT):"
echo
cat sandbox-runtime/supervisor/target/side-by-side-docker.md
