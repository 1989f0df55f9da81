# Shared settings of the real-cluster harness (sourced by up, down, node-exec and node-init).
# Everything the cluster writes lives under STOCKADE_CLUSTER_DIR; the node's network is a network
# namespace of its own, so its bridge, routes and iptables rules never touch the host's.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
CLUSTER_DIR=${STOCKADE_CLUSTER_DIR:-/tmp/stockade-cluster}
TOOLS_CACHE=${STOCKADE_TOOLS_CACHE:-$HOME/.cache/stockade/tools}
K8S_BIN=$TOOLS_CACHE/kubernetes-$KUBERNETES_VERSION/bin
ETCD_BIN=$TOOLS_CACHE/etcd-$ETCD_VERSION/bin
CRICTL_BIN=$TOOLS_CACHE/crictl-$CRI_TOOLS_VERSION/bin
kubernetes_minor=${KUBERNETES_VERSION#v1.}; kubernetes_minor=${kubernetes_minor%%.*}   # v1.34.4 -> 34
# helm is stamped with the cluster's Kubernetes minor (test/cluster/build-tools), its directory named by it.
HELM_BIN=$TOOLS_CACHE/helm-$HELM_VERSION-k8s1.$kubernetes_minor/bin
# Not used by the cluster: runsc and containerd 2.x for comparisons (test/cluster/build-tools gvisor containerd2).
GVISOR_BIN=$TOOLS_CACHE/gvisor-$GVISOR_VERSION-p$GVISOR_PATCH_LEVEL/bin
CONTAINERD2_BIN=$TOOLS_CACHE/containerd2-$CONTAINERD2_VERSION/bin

NODE_NAME=stockade-node
NETNS=stockade-cluster
HOST_VETH=stk-host
NODE_VETH=stk-node
# A /30 link between the host and the node's namespace: the tests reach the API server at NODE_IP.
HOST_IP=10.213.0.1
NODE_IP=10.213.0.2
POD_CIDR=10.214.0.0/24
SERVICE_CIDR=10.215.0.0/24
KUBERNETES_SERVICE_IP=10.215.0.1
API_PORT=6443
PAUSE_IMAGE=stockade.test/pause:1
BUSYBOX_IMAGE=stockade.test/busybox:1

# The node's own view of the host's directories: each is bind-mounted from CLUSTER_DIR/node inside
# the node's mount namespace, so the kubelet, containerd and Stockade's installer use the standard
# paths while the host's own stay untouched. Stockade's /opt/stockade and /etc/stockade are the
# host's own: a bind mount point could not be removed by its uninstall, which the tests check.
NODE_DIRS=(
  /etc/containerd
  /var/lib/containerd
  /var/lib/kubelet
  /var/log
  /etc/cni/net.d
  /var/lib/cni
  /run
)

# Host directories the installer writes outside the node's own directories.
STOCKADE_HOST_DIRS=(/opt/stockade /etc/stockade)

node_pid() {
  [ -s "$CLUSTER_DIR/node.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/node.pid")" 2>/dev/null && cat "$CLUSTER_DIR/node.pid"
}
