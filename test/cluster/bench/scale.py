#!/usr/bin/env python3
"""The measuring half of test/cluster/bench/scale: fake nodes, policies, the installers' part, figures.

Talks to the real API server of test/cluster/up with the admin certificate (standard library only).
What is real: the API server, etcd, the controller manager's DaemonSet controller, the scheduler, the
operator as deployed by manifests/install.yaml. What is simulated: the nodes (KWOK, run by the shell
half), the installer pods on them (KWOK reports them Running; nothing runs) and the installers' node
writes (this driver writes what runtime-installer's NodeReporter writes, at a fixed rate).
"""
import argparse
import collections
import glob
import hashlib
import http.client
import json
import os
import queue
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime

POOL_LABEL = "stockade.dev/pool"
TAINT_KEY = "stockade.dev/sandbox"
READY_LABEL = "stockade.dev/runtime-ready"
STATUS_ANNOTATION = "stockade.dev/runtime-status"
REMOVAL_ANNOTATION = "stockade.dev/removal-requested"
POLICY_LABEL = "stockade.dev/policy"
BENCH_NODE = "bench.stockade.dev/node"
# The fake nodes' names (and so their Leases'): NODE_PREFIX + a five-digit number.
NODE_PREFIX = "bench-kwok-"
BENCH_POOL = "bench.stockade.dev/pool"
BENCH_GROUP = "bench.stockade.dev/group"
OPERATOR_USER = "system:serviceaccount:stockade-system:stockade-operator"
NAMESPACE = "stockade-system"
GROUPS = 20


def log(message):
    print(time.strftime("%H:%M:%S ") + message, file=sys.stderr, flush=True)


def pointer(key):
    return key.replace("~", "~0").replace("/", "~1")


class Api:
    """One HTTPS connection per thread to the API server, as the cluster's admin."""

    def __init__(self, cluster_dir, server):
        host, port = server.removeprefix("https://").split(":")
        self.host, self.port = host, int(port)
        self.context = ssl.create_default_context(cafile=f"{cluster_dir}/pki/ca.crt")
        self.context.load_cert_chain(f"{cluster_dir}/pki/admin.crt", f"{cluster_dir}/pki/admin.key")
        self.local = threading.local()

    def connection(self, fresh=False):
        if fresh or not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=60)
        return self.local.conn

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201, 202), raw=False):
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        for attempt in range(5):
            try:
                conn = self.connection(fresh=attempt > 0)
                conn.request(method, path, body=data, headers={"Content-Type": content_type, "Accept": "*/*" if raw else "application/json"})
                response = conn.getresponse()
                payload = response.read()
                break
            except (OSError, http.client.HTTPException):
                if attempt == 4:
                    raise
                time.sleep(0.5)
        if response.status not in ok:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        if raw:
            return response.status, payload.decode()
        return response.status, (json.loads(payload) if payload else None)

    def stream(self, path):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=600)
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"watch {path}: {response.status}")
        return conn, response


class Nodes:
    """A list+watch cache of the benchmark's fake nodes (labels, taints, annotations)."""

    def __init__(self, api):
        self.api = api
        self.lock = threading.Condition()
        self.nodes = {}
        self.listeners = []
        self.stopped = False
        # When a node's labels, annotations or taints last changed (heartbeats change none of them).
        self.last_change = time.monotonic()
        # Every node update the watch delivered, heartbeats included: what the operator's watch parses.
        self.updates = 0
        # Of those, the updates of a node not Ready: its Lease late, the node lifecycle controller marks it.
        self.not_ready_updates = 0
        # Who sent the updates: the managedFields entry with the newest time (manager, subresource).
        self.writers = collections.Counter()
        # Seconds between two updates of the same node, while recording (idle only: the list grows).
        self.recording = False
        self.intervals = []
        self.last_update = {}
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        with self.lock:
            while not hasattr(self, "synced"):
                self.lock.wait(1)

    @staticmethod
    def summary(node):
        meta = node["metadata"]
        return {
            "labels": meta.get("labels") or {},
            "annotations": meta.get("annotations") or {},
            "taints": (node.get("spec") or {}).get("taints") or [],
            "rv": meta.get("resourceVersion"),
            "ready": any(c.get("type") == "Ready" and c.get("status") == "True"
                         for c in (node.get("status") or {}).get("conditions") or []),
        }

    def run(self):
        selector = f"labelSelector={BENCH_NODE}%3Dyes"
        while not self.stopped:
            _, listed = self.api.request("GET", f"/api/v1/nodes?{selector}&resourceVersion=0")
            rv = listed["metadata"]["resourceVersion"]
            with self.lock:
                self.nodes = {n["metadata"]["name"]: self.summary(n) for n in listed["items"]}
                self.synced = True
                self.lock.notify_all()
            for name in list(self.nodes):
                self.notify(name)
            try:
                conn, response = self.api.stream(f"/api/v1/nodes?{selector}&watch=1&allowWatchBookmarks=true&resourceVersion={rv}")
                for line in response:
                    if self.stopped:
                        break
                    event = json.loads(line)
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":
                        break
                    if kind == "BOOKMARK":
                        continue
                    name = obj["metadata"]["name"]
                    with self.lock:
                        self.updates += 1
                        if kind == "DELETED":
                            self.nodes.pop(name, None)
                            self.last_change = time.monotonic()
                        else:
                            summary, before = self.summary(obj), self.nodes.get(name)
                            self.not_ready_updates += not summary["ready"]
                            self.writers[self.writer(obj)] += 1
                            now = time.monotonic()
                            if self.recording and name in self.last_update:
                                self.intervals.append(now - self.last_update[name])
                            self.last_update[name] = now
                            if before is None or any(summary[k] != before[k] for k in ("labels", "annotations", "taints")):
                                self.last_change = time.monotonic()
                            self.nodes[name] = summary
                        self.lock.notify_all()
                    self.notify(name)
                conn.close()
            except (OSError, http.client.HTTPException, ValueError) as e:
                log(f"node watch restarts: {e}")

    @staticmethod
    def writer(node):
        """The manager (and subresource) of the newest managedFields entry: who wrote this version."""
        entries = node["metadata"].get("managedFields") or []
        if not entries:
            return "unknown"
        newest = max(entries, key=lambda e: e.get("time") or "")
        return newest.get("manager", "unknown") + (f" ({newest['subresource']})" if newest.get("subresource") else "")

    def notify(self, name):
        for listener in self.listeners:
            listener(name)

    def get(self, name):
        with self.lock:
            return self.nodes.get(name)

    def settle(self, quiet, timeout):
        """Waits until no node's labels, annotations or taints changed for `quiet` seconds (the controller
        manager and KWOK finish initialising new nodes minutes after their creation); returns the
        seconds it took, or None on timeout."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            with self.lock:
                still = time.monotonic() - self.last_change
            if still >= quiet:
                return time.monotonic() - start
            time.sleep(min(quiet - still, 5))
        log(f"nodes still changing after {timeout} s; idle is measured anyway")
        return None

    def wait(self, predicate, timeout, what):
        """Waits until predicate(nodes) holds; returns the seconds it took, or None on timeout."""
        start = time.monotonic()
        deadline = start + timeout
        with self.lock:
            while not predicate(self.nodes):
                left = deadline - time.monotonic()
                if left <= 0:
                    log(f"timed out after {timeout} s waiting for {what}")
                    return None
                self.lock.wait(min(left, 1))
        return time.monotonic() - start


def fenced(node, policy):
    return node["labels"].get(POOL_LABEL) == policy and any(
        t.get("key") == TAINT_KEY and t.get("value") == policy for t in node["taints"])


def clean(node):
    return (POOL_LABEL not in node["labels"] and READY_LABEL not in node["labels"]
            and REMOVAL_ANNOTATION not in node["annotations"] and STATUS_ANNOTATION not in node["annotations"]
            and not any(t.get("key") == TAINT_KEY for t in node["taints"]))


class Installers:
    """Plays the installer of every fenced node: reports Ready once fenced, uninstalls on request.

    Writes are what runtime-installer's NodeReporter sends (JSON patches of the ready label and the
    status annotation only), limited to `rate` writes per second over all nodes, as installers on many
    nodes starting over a minute would.
    """

    def __init__(self, api, nodes, rate, threads=4):
        self.api, self.nodes, self.rate = api, nodes, rate
        self.hashes = {}
        self.queue = queue.Queue()
        self.pending = set()
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()
        self.writes = 0
        self.active = False
        nodes.listeners.append(self.consider)
        for _ in range(threads):
            threading.Thread(target=self.work, daemon=True).start()

    def serve(self, policies):
        """Starts answering for these policies (name -> runtime class names)."""
        for policy, classes in policies.items():
            _, cm = self.api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps/stockade-{policy}-profiles")
            data = cm.get("data") or {}
            self.hashes[policy] = {c: "sha256:" + hashlib.sha256(data[c + ".json"].encode()).hexdigest() for c in classes}
        self.active = True
        with self.nodes.lock:
            names = list(self.nodes.nodes)
        for name in names:
            self.consider(name)

    def wanted(self, node):
        """The write an installer would make on this node now, or None."""
        labels, annotations = node["labels"], node["annotations"]
        removal = annotations.get(REMOVAL_ANNOTATION)
        if removal:
            policy = removal.rsplit("@", 1)[0]
            status = self.status(annotations)
            if policy in self.hashes and not (status and status.get("policy") == policy and status.get("phase") == "Removed"):
                return ("remove", policy)
            return None
        policy = labels.get(POOL_LABEL)
        if policy in self.hashes and fenced(node, policy):
            status = self.status(annotations)
            if labels.get(READY_LABEL) != policy or not status or status.get("phase") != "Ready" or status.get("policy") != policy:
                return ("ready", policy)
        return None

    @staticmethod
    def status(annotations):
        try:
            return json.loads(annotations.get(STATUS_ANNOTATION, ""))
        except ValueError:
            return None

    def consider(self, name):
        if not self.active:
            return
        node = self.nodes.get(name)
        if node is None or self.wanted(node) is None:
            return
        with self.lock:
            if name in self.pending:
                return
            self.pending.add(name)
        self.queue.put(name)

    def throttle(self):
        with self.lock:
            slot = self.next_slot = max(self.next_slot + 1 / self.rate, time.monotonic())
        time.sleep(max(0, slot - time.monotonic()))

    def work(self):
        while True:
            name = self.queue.get()
            try:
                node = self.nodes.get(name)
                action = node and self.wanted(node)
                if action:
                    self.write(name, node, *action)
            except Exception as e:  # a conflict or a vanished node: looked at again on its next event
                log(f"installer on {name}: {e}")
            finally:
                with self.lock:
                    self.pending.discard(name)
                node = self.nodes.get(name)
                if node and self.wanted(node) and name not in self.pending:
                    # Not yet visible in the cache, or it changed: look again shortly.
                    threading.Timer(1.0, self.consider, (name,)).start()

    def patch(self, name, node, ready_label, status, guard=None):
        """guard: an annotation whose value the write requires (a JSON patch test), so that a write
        racing the operator's release fails (422) instead of landing on a released node."""
        labels, annotations = node["labels"], node["annotations"]
        ops = []
        if guard:
            ops.append({"op": "test", "path": f"/metadata/annotations/{pointer(guard)}", "value": annotations.get(guard)})
        for path, current, key, value in (("/metadata/labels", labels, READY_LABEL, ready_label),
                                          ("/metadata/annotations", annotations, STATUS_ANNOTATION, status)):
            existing = current.get(key)
            if value is None:
                if existing is not None:
                    ops.append({"op": "test", "path": f"{path}/{pointer(key)}", "value": existing})
                    ops.append({"op": "remove", "path": f"{path}/{pointer(key)}"})
            elif value != existing:
                if current:
                    ops.append({"op": "add", "path": f"{path}/{pointer(key)}", "value": value})
                else:
                    ops.append({"op": "add", "path": path, "value": {key: value}})
        if len(ops) == (1 if guard else 0):
            return node
        self.throttle()
        _, written = self.api.request("PATCH", f"/api/v1/nodes/{name}", ops, "application/json-patch+json")
        with self.lock:
            self.writes += 1
        return Nodes.summary(written)

    def write(self, name, node, action, policy):
        if action == "ready":
            status = {"policy": policy, "phase": "Ready", "version": "0.1.0-SNAPSHOT",
                      "handlers": ["stockade-" + c for c in self.hashes[policy]], "profileHashes": self.hashes[policy],
                      "message": "runtime installed and verified (simulated by test/cluster/bench/scale)"}
            self.patch(name, node, policy, json.dumps(status, separators=(",", ":")))
        else:
            # As NodeAgent.uninstallOnRequest: Removing (ready label gone), uninstall, then Removed.
            removing = {"policy": policy, "phase": "Removing", "message": "removal requested by the operator: uninstalling"}
            # Both guarded on the removal request, as the installer does nothing on a released node.
            node = self.patch(name, node, None, json.dumps(removing, separators=(",", ":")), guard=REMOVAL_ANNOTATION)
            removed = {"policy": policy, "phase": "Removed", "message": "uninstalled (simulated by test/cluster/bench/scale)"}
            self.patch(name, node, None, json.dumps(removed, separators=(",", ":")), guard=REMOVAL_ANNOTATION)

    def idle(self):
        while True:
            with self.lock:
                if not self.pending and self.queue.empty():
                    return
            time.sleep(0.2)


class Operator:
    """The operator's pod: its process seen from the host's /proc, its metrics through the API server.

    A container restart (e.g. OOMKilled) is counted and measured through: CPU and the node-write
    counter continue from where the previous process left them.
    """

    def __init__(self, api):
        self.api = api
        _, pods = self.api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector=app.kubernetes.io%2Fname%3Dstockade-operator")
        running = [p for p in pods["items"] if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        if len(running) != 1:
            raise RuntimeError(f"expected one running operator pod, found {len(running)}")
        self.pod = running[0]["metadata"]["name"]
        self.uid = running[0]["metadata"]["uid"]
        self.lock = threading.Lock()
        self.cpu_base = self.cpu_last = 0.0
        self.writes_base = self.writes_last = 0.0
        self.pid = None
        if not self.find_pid():
            raise RuntimeError(f"no java process of pod {self.pod} (uid {self.uid}) in /proc")
        # A restarted operator waits for its predecessor's leader lease to expire: not part of any figure.
        deadline = time.time() + 120
        while time.time() < deadline:
            _, leases = self.api.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases")
            if any((lease.get("spec") or {}).get("holderIdentity") == self.pod for lease in leases["items"]):
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"operator pod {self.pod} did not become leader within 120 s")

    def find_pid(self, timeout=120):
        """Finds the container's java process; False when there is none (e.g. in CrashLoopBackOff)."""
        deadline = time.time() + timeout
        while True:
            for proc in glob.glob("/proc/[0-9]*"):
                try:
                    with open(f"{proc}/cgroup") as f:
                        cgroup = f.read()
                    if self.uid not in cgroup and self.uid.replace("-", "_") not in cgroup:
                        continue
                    with open(f"{proc}/cmdline", "rb") as f:
                        if b"java" in f.read():
                            self.pid = int(proc[6:])
                            return True
                except OSError:
                    continue
            if time.time() >= deadline:
                return False
            time.sleep(1)

    def restarts(self):
        """(restart count, last termination reason) of the operator container."""
        _, pod = self.api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{self.pod}")
        status = (pod["status"].get("containerStatuses") or [{}])[0]
        last = (status.get("lastState") or {}).get("terminated") or {}
        return status.get("restartCount", 0), last.get("reason")

    def process_cpu(self):
        """CPU seconds of the current process, or None when it is gone (or none runs)."""
        try:
            return pid_cpu_seconds(self.pid)
        except (OSError, TypeError):
            return None

    def cpu_seconds(self):
        with self.lock:
            cpu = self.process_cpu()
            if cpu is None:
                if self.pid is not None:
                    log("the operator's process is gone (restarted?); following the next one")
                    self.cpu_base += self.cpu_last
                    self.cpu_last = 0.0
                    self.pid = None
                cpu = self.process_cpu() if self.find_pid(timeout=0) else None
            if cpu is not None:
                self.cpu_last = cpu
            return self.cpu_base + self.cpu_last

    def rss_mib(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def metrics(self):
        for attempt in range(60):
            try:
                _, text = self.api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{self.pod}:8080/proxy/q/metrics", raw=True)
                return text
            except RuntimeError:
                if attempt == 59:
                    raise
                time.sleep(2)

    def memory(self):
        """Where the RSS goes, from the JVM's own series (Micrometer's JVM binder): MiB of heap used and
        committed, non-heap committed by pool, live threads, and the RSS left to the rest (native
        allocations, thread stacks, GC structures)."""
        used, committed, nonheap, threads = 0.0, 0.0, {}, 0
        for line in self.metrics().splitlines():
            if line.startswith("#") or " " not in line:
                continue
            name, value = line.rsplit(" ", 1)
            if name.startswith("jvm_memory_used_bytes{") and 'area="heap"' in name:
                used += float(value)
            elif name.startswith("jvm_memory_committed_bytes{") and 'area="heap"' in name:
                committed += float(value)
            elif name.startswith("jvm_memory_committed_bytes{") and 'area="nonheap"' in name:
                pool = name.split('id="', 1)[1].split('"', 1)[0]
                nonheap[pool] = float(value) / 2**20
            elif name.startswith("jvm_threads_live_threads"):
                threads = int(float(value))
        rss = self.rss_mib()
        return {"rss": rss, "heap_used": used / 2**20, "heap_committed": committed / 2**20, "nonheap": nonheap,
                "threads": threads, "rest": rss - committed / 2**20 - sum(nonheap.values())}

    def node_writes(self):
        text = self.metrics()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("stockade_node_writes_total"):
                total += float(line.rsplit(" ", 1)[1])
        with self.lock:
            if total < self.writes_last:  # a new process counts from zero
                self.writes_base += self.writes_last
            self.writes_last = total
            return self.writes_base + total


class Sampler:
    """Samples the operator's CPU and RSS every `period` seconds between start() and stop()."""

    def __init__(self, operator, period=1.0):
        self.operator, self.period = operator, period

    def __enter__(self):
        self.samples = []
        self.done = threading.Event()
        self.cpu0, self.t0 = self.operator.cpu_seconds(), time.monotonic()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        last_cpu, last_t = self.cpu0, self.t0
        while not self.done.wait(self.period):
            cpu, t = self.operator.cpu_seconds(), time.monotonic()
            self.samples.append(((cpu - last_cpu) / (t - last_t) * 100, self.operator.rss_mib()))
            last_cpu, last_t = cpu, t

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.cpu1, self.t1 = self.operator.cpu_seconds(), time.monotonic()
        self.samples.append((0.0, self.operator.rss_mib()))

    def average_cpu(self):
        return (self.cpu1 - self.cpu0) / (self.t1 - self.t0) * 100

    def peak_cpu(self):
        return max((c for c, _ in self.samples[:-1]), default=self.average_cpu())

    def peak_rss(self):
        return max(r for _, r in self.samples)


def audit_events(audit_dir, since, until, keep_line):
    """The completed requests in the audit log between two wall-clock times, as (event, resource),
    of the lines keep_line accepts (a cheap test on the raw line, before its JSON is parsed)."""
    for path in sorted(glob.glob(f"{audit_dir}/audit-*.log")) + [f"{audit_dir}/audit.log"]:
        try:
            with open(path) as f:
                for line in f:
                    if not keep_line(line):
                        continue
                    event = json.loads(line)
                    if event.get("stage") != "ResponseComplete":
                        continue
                    at = datetime.fromisoformat(event["requestReceivedTimestamp"].replace("Z", "+00:00")).timestamp()
                    if since <= at <= until:
                        ref = event.get("objectRef") or {}
                        resource = ref.get("resource", event.get("requestURI", "?").split("?")[0])
                        if ref.get("subresource"):
                            resource += "/" + ref["subresource"]
                        yield event, resource
        except FileNotFoundError:
            continue


def audit_requests(audit_dir, since, until):
    """The operator's requests in the audit log between two wall-clock times: (verb, resource) -> count."""
    counts = collections.Counter()
    for event, resource in audit_events(audit_dir, since, until, lambda line: OPERATOR_USER in line):
        if event.get("user", {}).get("username") == OPERATOR_USER:
            code = event.get("responseStatus", {}).get("code", 0)
            counts[(event["verb"], resource, "ok" if code < 400 else str(code))] += 1
    return counts


def other_writes(audit_dir, since, until, top=4):
    """Writes by everyone but the operator between two wall-clock times, the largest first, as text
    ("user verb resource n"). KWOK's are not in the audit log (its identity is left out)."""
    counts = collections.Counter()
    others = lambda line: OPERATOR_USER not in line and '"ResponseComplete"' in line
    for event, resource in audit_events(audit_dir, since, until, others):
        if event.get("verb") not in ("get", "list", "watch"):
            user = event.get("user", {}).get("username", "?").replace("system:serviceaccount:kube-system:", "")
            counts[f"{user} {event['verb']} {resource}"] += 1
    return ", ".join(f"{key} {n}" for key, n in counts.most_common(top)) or "none"


CONTROL_PLANE = ("kube-apiserver", "etcd", "kwok", "kube-controller", "kube-scheduler")


def pid_cpu_seconds(pid):
    """CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; OSError when it is gone."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_cpu_seconds():
    """CPU seconds used so far by the control plane's and KWOK's processes, by name (/proc/<pid>/comm)."""
    used = collections.Counter()
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            with open(f"{proc}/comm") as f:
                comm = f.read().strip()
            name = next((n for n in CONTROL_PLANE if comm.startswith(n)), None)
            if name:
                used[name] += pid_cpu_seconds(proc[6:])
        except (OSError, IndexError, ValueError):
            continue
    return used


def cpu_shares(before, after, seconds):
    """"name % of one core" for each process between two host_cpu_seconds() snapshots."""
    return ", ".join(f"{name} {100 * (after[name] - before[name]) / seconds:.0f}" for name in CONTROL_PLANE if name in after)


def node_patches(counts):
    return sum(n for (verb, resource, _), n in counts.items() if resource == "nodes" and verb in ("patch", "update"))


def format_requests(counts):
    merged = collections.Counter()
    for (verb, resource, code), n in counts.items():
        merged[f"{verb} {resource}" + ("" if code == "ok" else f" ({code})")] += n
    return ", ".join(f"{key} {n}" for key, n in sorted(merged.items(), key=lambda kv: -kv[1])) or "none"


def kubectl(*args, stdin=None):
    return subprocess.run([os.environ["KUBECTL"], "--kubeconfig", os.environ["KUBECONFIG"], *args],
                          input=stdin, text=True, capture_output=True, check=True).stdout


def policy_yaml(name, selector, runtime_class):
    return (f"apiVersion: stockade.dev/v1alpha1\nkind: SandboxPolicy\nmetadata:\n  name: {name}\nspec:\n"
            f"  nodeSelector:\n    matchLabels:\n      {selector[0]}: \"{selector[1]}\"\n"
            f"  runtimeClasses:\n    - name: {runtime_class}\n")


def installers_rolled_out(api, policies, pool, timeout):
    """Waits until the policies' installer DaemonSets have placed a pod on each of the `pool` nodes, so
    that the DaemonSet controller's rollout is over (not their readiness: KWOK's pods lose Ready
    whenever a node's lease renewal is late); returns the seconds it took, or None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        _, listed = api.request("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets")
        placed = sum((ds.get("status") or {}).get("currentNumberScheduled", 0) for ds in listed["items"]
                    if (ds["metadata"].get("labels") or {}).get(POLICY_LABEL) in policies)
        if placed >= pool:
            return time.monotonic() - start
        time.sleep(2)
    log(f"installer DaemonSets not rolled out after {timeout} s; idle is measured anyway")
    return None


def lease_lateness(api):
    """How long ago the bench nodes' Leases were renewed, "p50 / p99 / max" in seconds. Kubelets renew
    every 10 s; the node lifecycle controller marks a node not ready when its Lease is older than its
    grace period."""
    _, leases = api.request("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases?resourceVersion=0")
    now = datetime.now().astimezone()
    ages = sorted((now - datetime.fromisoformat(lease["spec"]["renewTime"].replace("Z", "+00:00"))).total_seconds()
                  for lease in leases["items"]
                  if lease["metadata"]["name"].startswith(NODE_PREFIX) and lease["spec"].get("renewTime"))
    if not ages:
        return "-"
    return f"{ages[len(ages) // 2]:.0f} / {ages[int(len(ages) * 0.99)]:.0f} / {ages[-1]:.0f}"


def policy_nodes(api, name):
    status, body = api.request("GET", f"/apis/stockade.dev/v1alpha1/sandboxpolicies/{name}", ok=(200, 404))
    if status == 404:
        return None
    return (body.get("status") or {}).get("nodes")


def create_nodes(api, count):
    def node(i):
        name = f"{NODE_PREFIX}{i:05d}"
        labels = {BENCH_NODE: "yes", BENCH_GROUP: f"g{i % GROUPS:02d}", "type": "kwok",
                  "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
        if i % 5 != 4:
            labels[BENCH_POOL] = "yes"
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": labels,
                             "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
                # Cordoned: the scheduler places only pods that tolerate it, which DaemonSet pods do.
                "spec": {"unschedulable": True},
                "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                           "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                           "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                                        "kubeletVersion": "fake", "containerRuntimeVersion": "containerd://fake"}}}

    work = queue.Queue()
    for i in range(count):
        work.put(i)
    errors = []

    def run():
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            try:
                api.request("POST", "/api/v1/nodes", node(i), ok=(201, 409))
            except Exception as e:
                errors.append(str(e))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} nodes not created, e.g. {errors[0]}")


def delete_nodes(api):
    # Pods left on fake nodes would wait for a kubelet forever once KWOK stops or the node goes (this
    # cluster runs no pod garbage collector): they go first, without a grace period.
    _, pods = api.request("GET", "/api/v1/pods")
    for pod in pods["items"]:
        if (pod["spec"].get("nodeName") or "").startswith(NODE_PREFIX):
            meta = pod["metadata"]
            api.request("DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                        {"gracePeriodSeconds": 0}, ok=(200, 202, 404))
    # 504: the API server stops waiting after 60 s while it goes on deleting; the caller polls.
    api.request("DELETE", f"/api/v1/nodes?labelSelector={BENCH_NODE}%3Dyes", ok=(200, 504))


class Scenario:
    def __init__(self, args, api, nodes, installers, operator, size):
        self.args, self.api, self.nodes, self.installers, self.operator, self.size = args, api, nodes, installers, operator, size
        self.audit_dir = os.path.join(args.cluster_dir, "logs")
        self.rows = []

    def run(self, label, policies):
        """policies: name -> (selector key, value, runtime class). Fence, Ready, idle (first only), delete."""
        args, nodes = self.args, self.nodes
        members = {}
        with nodes.lock:
            for name, node in nodes.nodes.items():
                for policy, (key, value, _) in policies.items():
                    if node["labels"].get(key) == value:
                        members[name] = policy
        count = len(members)
        row = {"scenario": label, "nodes": self.size, "pool": count}
        log(f"{label}: {len(policies)} policies over {count} of {self.size} nodes")

        restarts0 = self.operator.restarts()[0]
        writes0 = self.operator.node_writes()
        wall0, host0 = time.time(), host_cpu_seconds()
        with Sampler(self.operator, 0.5) as fencing:
            kubectl("apply", "-f", "-", stdin="---\n".join(policy_yaml(p, (k, v), rc) for p, (k, v, rc) in policies.items()))
            fence = nodes.wait(lambda ns: all(n in ns and fenced(ns[n], p) for n, p in members.items()), args.timeout, "fencing")
        wall1, host1 = time.time(), host_cpu_seconds()
        time.sleep(2)  # the audit log is written when responses complete
        requests = audit_requests(self.audit_dir, wall0 - 1, wall1)
        row["fence_host_cpu"] = cpu_shares(host0, host1, wall1 - wall0)
        row["fence_other_writes"] = other_writes(self.audit_dir, wall0 - 1, wall1)
        row["fence_s"] = fence
        row["fence_writes"] = self.operator.node_writes() - writes0
        row["fence_audit_node_patches"] = node_patches(requests)
        row["fence_requests"] = format_requests(requests)
        row["fence_cpu_avg"], row["fence_cpu_peak"], row["fence_rss"] = fencing.average_cpu(), fencing.peak_cpu(), fencing.peak_rss()
        log(f"{label}: fenced in {fmt(fence, ' s')}; {row['fence_writes']:.0f} node writes (counter), {row['fence_audit_node_patches']} (audit)")

        # The installers: the driver writes each fenced node's report at args.rate writes/s.
        want = {p: f"{sum(1 for q in members.values() if q == p)}/{sum(1 for q in members.values() if q == p)}" for p in policies}
        installer_writes0 = self.installers.writes
        start = time.monotonic()
        with Sampler(self.operator, 1.0) as readying:
            self.installers.serve({p: [rc] for p, (_, _, rc) in policies.items()})
            ready = None
            while time.monotonic() - start < args.timeout:
                if all(policy_nodes(self.api, p) == want[p] for p in policies):
                    ready = time.monotonic() - start
                    break
                time.sleep(0.5)
        row["ready_s"] = ready
        row["ready_installer_writes"] = self.installers.writes - installer_writes0
        row["ready_cpu_avg"], row["ready_rss"] = readying.average_cpu(), readying.peak_rss()
        row["writes_after_ready"] = self.operator.node_writes() - writes0
        log(f"{label}: every policy Ready after {ready} s ({row['ready_installer_writes']} installer writes)")

        if args.idle and len(policies) == 1:
            # Everything heartbeats, nothing changes: the operator should not write. Idle starts once
            # nothing but heartbeats has touched the nodes for 30 s.
            time.sleep(5)
            row["rollout_s"] = installers_rolled_out(self.api, policies, count, args.timeout)
            log(f"{label}: installer DaemonSets rolled out after {fmt(row['rollout_s'], ' s')}")
            row["settle_s"] = nodes.settle(30, args.timeout)
            log(f"{label}: nodes settled after {fmt(row['settle_s'], ' s')}")
            idle_writes0 = self.operator.node_writes()
            with nodes.lock:
                idle_updates0, idle_not_ready0, idle_writers0 = nodes.updates, nodes.not_ready_updates, collections.Counter(nodes.writers)
                nodes.intervals, nodes.recording = [], True
            idle_wall0, idle_host0 = time.time(), host_cpu_seconds()
            log(f"{label}: idle for {args.idle} s")
            with Sampler(self.operator, 5.0) as idle:
                time.sleep(args.idle)
            idle_wall1 = time.time()
            row["idle_host_cpu"] = cpu_shares(idle_host0, host_cpu_seconds(), idle_wall1 - idle_wall0)
            with nodes.lock:
                nodes.recording = False
                writers = nodes.writers - idle_writers0
                intervals = sorted(nodes.intervals)
            row["idle_writers"] = ", ".join(f"{w} {n / (idle_wall1 - idle_wall0):.1f}" for w, n in writers.most_common())
            row["idle_intervals"] = " / ".join(f"{intervals[int(q * (len(intervals) - 1))]:.1f}" for q in (0.01, 0.1, 0.5, 0.9)) \
                if intervals else "none"
            row["idle_s"] = args.idle
            row["idle_node_updates_per_s"] = (nodes.updates - idle_updates0) / (idle_wall1 - idle_wall0)
            row["idle_not_ready_per_s"] = (nodes.not_ready_updates - idle_not_ready0) / (idle_wall1 - idle_wall0)
            row["idle_lease_lateness"] = lease_lateness(self.api)
            row["idle_writes"] = self.operator.node_writes() - idle_writes0
            idle_requests = audit_requests(self.audit_dir, idle_wall0, idle_wall1)
            row["idle_audit_node_patches"] = node_patches(idle_requests)
            row["idle_requests"] = format_requests(idle_requests)
            row["idle_cpu_avg"], row["idle_cpu_peak"], row["idle_rss"] = idle.average_cpu(), idle.peak_cpu(), idle.peak_rss()
            row["idle_memory"] = self.operator.memory()
            log(f"{label}: idle CPU {row['idle_cpu_avg']:.2f} %, {row['idle_writes']:.0f} node writes, RSS {row['idle_rss']:.0f} MiB, "
                f"{row['idle_node_updates_per_s']:.1f} node updates/s")

        writes1 = self.operator.node_writes()
        installer_writes1 = self.installers.writes
        wall2 = time.time()
        with Sampler(self.operator, 1.0) as deleting:
            for policy in policies:
                kubectl("delete", "sbp", policy, "--wait=false")
            released = nodes.wait(lambda ns: all(n in ns and clean(ns[n]) for n in members), args.timeout, "release")
            while released is not None and any(policy_nodes(self.api, p) is not None for p in policies):
                time.sleep(0.2)
            gone = time.time() - wall2
        time.sleep(2)
        delete_requests = audit_requests(self.audit_dir, wall2, time.time())
        row["release_s"] = released
        row["policy_gone_s"] = gone
        row["release_writes"] = self.operator.node_writes() - writes1
        row["release_audit_node_patches"] = node_patches(delete_requests)
        row["release_requests"] = format_requests(delete_requests)
        row["release_installer_writes"] = self.installers.writes - installer_writes1
        row["release_cpu_avg"], row["release_rss"] = deleting.average_cpu(), deleting.peak_rss()
        self.installers.active = False
        self.installers.hashes.clear()
        restarts, reason = self.operator.restarts()
        row["restarts"] = f"{restarts - restarts0}" + (f" (last: {reason})" if restarts > restarts0 else "")
        log(f"{label}: released in {fmt(released, ' s')}, {row['release_writes']:.0f} node writes")
        self.rows.append(row)
        return row


def fmt(value, unit="", digits=1):
    if value is None:
        return "timeout"
    return f"{value:.{digits}f}{unit}"


def report(rows, out):
    lines = []
    for row in rows:
        n = row["pool"]
        lines += [
            f"## {row['nodes']} KWOK nodes, {row['scenario']}: {n} pool nodes",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| (a) apply → every pool node fenced (label + taint) | {fmt(row['fence_s'], ' s')} |",
            f"| (b) operator node writes while fencing, per pool node (counter / audit) | {row['fence_writes'] / n:.3f} / {row['fence_audit_node_patches'] / n:.3f} ({row['fence_writes']:.0f} / {row['fence_audit_node_patches']}) |",
            f"| (c) operator API requests while fencing (audit) | {row['fence_requests']} |",
            f"| operator CPU while fencing, avg / peak 0.5 s (% of one core) | {row['fence_cpu_avg']:.0f} / {row['fence_cpu_peak']:.0f} |",
            f"| the control plane's and KWOK's CPU while fencing (% of one core; the machine has 2 cores) | {row['fence_host_cpu']} |",
            f"| the largest writers besides the operator while fencing (audit; KWOK's writes are not audited) | {row['fence_other_writes']} |",
            f"| (d) installer reports start → status Nodes {n}/{n} (driver at the given rate) | {fmt(row['ready_s'], ' s')} ({row['ready_installer_writes']} installer writes) |",
            f"| operator node writes from apply to Ready, per pool node | {row['writes_after_ready'] / n:.3f} |",
            f"| operator CPU while nodes report, avg (% of one core) | {row['ready_cpu_avg']:.0f} |",
        ]
        if "idle_s" in row:
            lines += [
                f"| installer DaemonSet rolled out (a pod placed on every pool node) after | {fmt(row.get('rollout_s'), ' s')} |",
                f"| nodes settled (no label, annotation or taint change for 30 s) after | {fmt(row['settle_s'], ' s')} |",
                f"| (e) operator CPU idle {row['idle_s']} s, avg / peak 5 s (% of one core) | {row['idle_cpu_avg']:.2f} / {row['idle_cpu_peak']:.2f} |",
                f"| node updates the watch delivered while idle (heartbeats and the control plane's writes), per second | {row.get('idle_node_updates_per_s', 0):.1f} |",
                f"| of them, updates of a node not Ready (its Lease late), per second | {row.get('idle_not_ready_per_s', 0):.1f} |",
                f"| the same updates by writer (the newest managedFields entry: manager, subresource), per second | {row['idle_writers']} |",
                f"| the control plane's and KWOK's CPU while idle (% of one core) | {row['idle_host_cpu']} |",
                f"| time between two updates of the same node while idle, p1 / p10 / p50 / p90 (s) | {row['idle_intervals']} |",
                f"| node Leases at the end of idle: time since renewal p50 / p99 / max (s; kubelets renew every 10 s) | {row['idle_lease_lateness']} |",
                f"| (f) operator node writes while idle (counter / audit) | {row['idle_writes']:.0f} / {row['idle_audit_node_patches']} |",
                f"| operator API requests while idle (audit) | {row['idle_requests']} |",
                "| operator memory at the end of idle (MiB): RSS = heap committed (used) + non-heap committed + the rest | "
                + "{rss:.0f} = {heap_committed:.0f} ({heap_used:.0f}) + {nh:.0f} ({pools}) + {rest:.0f}; {threads} threads |".format(
                    nh=sum(row['idle_memory']['nonheap'].values()),
                    pools=", ".join(f"{k} {v:.0f}" for k, v in sorted(row['idle_memory']['nonheap'].items())), **row['idle_memory']),
            ]
        lines += [
            f"| (e) operator RSS peak: fencing / reporting{' / idle' if 'idle_s' in row else ''} / release (MiB) | {row['fence_rss']:.0f} / {row['ready_rss']:.0f}{' / %.0f' % row['idle_rss'] if 'idle_s' in row else ''} / {row['release_rss']:.0f} |",
            f"| (g) delete → every node released (no Stockade key left) | {fmt(row['release_s'], ' s')} (policy gone after {row['policy_gone_s']:.1f} s) |",
            f"| operator node writes while releasing, per pool node (counter / audit) | {row['release_writes'] / n:.3f} / {row['release_audit_node_patches'] / n:.3f} |",
            f"| operator API requests while releasing (audit) | {row['release_requests']} |",
            f"| installer writes by the driver while releasing | {row['release_installer_writes']} |",
            f"| operator container restarts during this scenario | {row['restarts']} |",
            "",
        ]
    text = "\n".join(lines)
    print(text)
    with open(out, "w") as f:
        f.write(text + "\n")
        f.write("\n<!-- raw: " + json.dumps(rows) + " -->\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--cluster-dir", default="/tmp/stockade-cluster")
    parser.add_argument("--server", default="https://10.213.0.2:6443")
    parser.add_argument("--rate", type=float, default=100, help="installer writes per second over all nodes")
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--one-policy", action="store_true", help="skip the 20 policies' run")
    parser.add_argument("--out", required=True)
    parser.add_argument("--phase", choices=["nodes", "measure", "delete-nodes"], required=True)
    args = parser.parse_args()
    api = Api(args.cluster_dir, args.server)

    if args.phase == "delete-nodes":
        delete_nodes(api)
        # 5000 nodes took over 300 s to go on this machine.
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            _, listed = api.request("GET", f"/api/v1/nodes?labelSelector={BENCH_NODE}%3Dyes&limit=1")
            if not listed["items"]:
                return
            time.sleep(1)
        raise SystemExit(f"fake nodes still there after {args.timeout} s")

    nodes = Nodes(api)
    nodes.start()
    if args.phase == "nodes":
        start = time.monotonic()
        create_nodes(api, args.size)
        created = time.monotonic() - start
        took = nodes.wait(lambda ns: len(ns) >= args.size and all(n["ready"] for n in ns.values()), args.timeout, "KWOK nodes Ready")
        log(f"{args.size} nodes created in {created:.1f} s, all Ready (KWOK) {took:.1f} s later")
        # A policy meets nodes that joined earlier: let the controller manager finish initialising
        # the new ones first (it adds the beta.kubernetes.io labels and the TTL annotation and lifts
        # the not-ready taint the API server puts on every new node).
        settled = nodes.settle(30, args.timeout)
        log(f"nodes settled (no label, annotation or taint change for 30 s) after {fmt(settled, ' s')}")
        return

    operator = Operator(api)
    log(f"operator pod {operator.pod}, pid {operator.pid} on the host, RSS {operator.rss_mib():.0f} MiB")
    installers = Installers(api, nodes, args.rate)
    scenario = Scenario(args, api, nodes, installers, operator, args.size)
    scenario.run("1 policy selecting 80 %", {"bench": (BENCH_POOL, "yes", "bench")})
    if not args.one_policy:
        scenario.run(f"{GROUPS} policies, own selectors",
                     {f"bench-g{g:02d}": (BENCH_GROUP, f"g{g:02d}", f"bench-g{g:02d}") for g in range(GROUPS)})
    report(scenario.rows, args.out)


if __name__ == "__main__":
    main()
