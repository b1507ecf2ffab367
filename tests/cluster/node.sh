# The real node: containerd, the kubelet, the control plane as static pods, kube-proxy and
# CoreDNS as kubeadm deploys them. Sourced by `cluster`, which sets STATE, PKI, PORT,
# ETCD_PORT, KCM_PORT, SCHEDULER_PORT, HERE, CACHE and the helpers say/die/launch/stop_one.
#
# Everything the node changes on the host is recorded before it starts (host/ in the state
# folder) and undone by node_stop: processes, mounts, iptables rules, sysctls, network links,
# cgroups, and the few host paths the kubelet and containerd insist on.

NODE_IP=${KUBECAPTURE_NODE_IP:-10.250.0.2}  # on a link of its own; the kubelet refuses loopback
NODE_LINK=kubecapture0
CNI_BRIDGE=kc-cni0  # link names have 15 characters at most
POD_CIDR=10.244.0.0/16       # the controller-manager gives the node 10.244.0.0/24
NODE_POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
COREDNS_VERSION=v1.15.0
CONTAINERD_SOCK=$STATE/containerd/containerd.sock
# Host paths outside the state folder that the kubelet, containerd or the CNI plugins create
# whatever they are told; each one that did not exist before start is removed by stop.
HOST_PATHS=(/run/containerd /var/run/netns /var/log/containers /run/xtables.lock /var/lib/cni /etc/cni)
# Sysctls the kubelet (protectKernelDefaults: false), kube-proxy and the bridge set.
SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables vm.overcommit_memory vm.panic_on_oom kernel.panic
  kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
kubectl_() { "$CACHE/$(cat "$STATE/version")/kubectl" --kubeconfig "$PKI/admin.kubeconfig" "$@"; }

# Why a real node cannot run here, in one sentence; nothing when it can.
node_unavailable() {
  [ "$(id -u)" = 0 ] || { echo "not root (a kubelet and containerd need root)"; return; }
  local tool port
  for tool in containerd containerd-shim-runc-v2 runc ctr iptables-save iptables-restore nft ip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed (Debian: containerd runc containernetworking-plugins iptables nftables)"; return; }
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] ||
    { echo "the CNI plugins are not in /usr/lib/cni (Debian: containernetworking-plugins)"; return; }
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
    { echo "no cgroup memory controller"; return; }
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    { echo "the kernel has no overlay filesystem"; return; }
  for port in 10250 10248; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "port $port is taken (another kubelet? one real node per machine)"; return
    fi
  done
  [ ! -e "/sys/class/net/$NODE_LINK" ] || { echo "the link $NODE_LINK exists (another real node of this project?)"; return; }
}

# What the host looks like before the node touches it.
record_host() {
  local dir=$STATE/host name path
  mkdir -p "$dir"
  iptables-save >"$dir/iptables" 2>/dev/null || true
  ip6tables-save >"$dir/ip6tables" 2>/dev/null || true
  : >"$dir/sysctls"
  for name in "${SYSCTLS[@]}"; do
    path=/proc/sys/${name//.//}
    [ -r "$path" ] && echo "$name $(cat "$path")" >>"$dir/sysctls"
  done
  : >"$dir/absent"
  for path in "${HOST_PATHS[@]}"; do [ -e "$path" ] || echo "$path" >>"$dir/absent"; done
  ls /var/run/netns 2>/dev/null >"$dir/netns" || true
}

prepare_host() {
  # A veth pair (this machine's kernel has no dummy links) holding the node's address.
  ip link add "$NODE_LINK" type veth peer name "${NODE_LINK}p" &&
    ip addr add "$NODE_IP/32" dev "$NODE_LINK" && ip link set "${NODE_LINK}p" up &&
    ip link set "$NODE_LINK" up || die "could not add the node's link $NODE_LINK"
  # Traffic to a Service or Pod address that kube-proxy's rules or the bridge do not take
  # (before kube-proxy has written them, while it restarts) is dropped here: otherwise the
  # default route would carry it off the machine.
  ip route add blackhole "$SERVICE_CIDR" && ip route add blackhole "$POD_CIDR" ||
    die "could not add the routes that keep the cluster's addresses on the machine"
  # Pods reach Services through kube-proxy's rules on the bridge, and leave through the host.
  sysctl -qw net.ipv4.ip_forward=1
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
  if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
    sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  fi
}

restore_host() {
  local dir=$STATE/host name value path link
  [ -d "$dir" ] || return 0
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_LINK" 2>/dev/null || true
  ip route del blackhole "$SERVICE_CIDR" 2>/dev/null || true
  ip route del blackhole "$POD_CIDR" 2>/dev/null || true
  [ -s "$dir/iptables" ] && iptables-restore <"$dir/iptables" 2>/dev/null
  [ -s "$dir/ip6tables" ] && ip6tables-restore <"$dir/ip6tables" 2>/dev/null
  drop_new_tables iptables "$dir/iptables"
  drop_new_tables ip6tables "$dir/ip6tables"
  while read -r name value; do sysctl -qw "$name=$value" 2>/dev/null || true; done <"$dir/sysctls"
  # The kubelet's cgroups (cgroupfs driver), deepest first, once no process is in them.
  for path in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$path" ] && find "$path" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # Log links the kubelet made for its containers, and network namespaces CNI left.
  for link in /var/log/containers/*.log; do
    [ -L "$link" ] && [[ $(readlink "$link") == "$STATE"/* ]] && rm -f "$link"
  done
  for name in $(ls /var/run/netns 2>/dev/null); do
    grep -qxF "$name" "$dir/netns" && continue
    umount "/var/run/netns/$name" 2>/dev/null; rm -f "/var/run/netns/$name"
  done
  while read -r path; do rm -rf "$path"; done <"$dir/absent"  # made by the node: all of it
  rm -rf "$dir"
}

# Tables that did not exist before (iptables-save lists only the tables there are):
# removed, with nft where the host's iptables is iptables-nft (Debian's default).
drop_new_tables() {
  local tool=$1 before=$2 family=ip table
  [ "$tool" = ip6tables ] && family=ip6
  for table in $("$tool-save" 2>/dev/null | sed -n 's/^\*//p'); do
    grep -qx "\*$table" "$before" 2>/dev/null && continue
    "$tool" -t "$table" -F 2>/dev/null; "$tool" -t "$table" -X 2>/dev/null
    nft delete table "$family" "$table" 2>/dev/null
  done
  return 0
}

unmount_state() {  # every mount below the state folder, deepest first
  local mount
  awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
}

write_containerd_config() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d"
  cat >"$STATE/containerd/config.toml" <<EOF
# The node's containerd: its own root, state and socket in the cluster's state folder.
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # The pod sandbox image, built here (images.py): nothing is pulled.
  sandbox_image = "localhost/kubecapture/pause:1"
  # This machine's processes lack CAP_SYS_RESOURCE: runc cannot lower oom_score_adj, and
  # every pod sandbox fails ("can't get final child's PID from pipe: EOF") unless
  # containerd keeps each container's oom_score_adj at or above its own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$STATE/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
  cat >"$STATE/cni/net.d/10-kubecapture.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kubecapture",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_POD_CIDR"}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$STATE/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

start_containerd() {
  write_containerd_config
  launch containerd containerd --config "$STATE/containerd/config.toml"
  local _
  for _ in $(seq 60); do
    ctr_ version >/dev/null 2>&1 && return 0
    alive containerd || break
    sleep 0.5
  done
  die "containerd did not start (see $STATE/logs/containerd.log)"
}

# The images a node of VERSION needs, built once into the cache and imported (images.py).
import_images() {
  local version=$1 dir=$CACHE/images tar
  mkdir -p "$dir"
  local -a wanted=("kubernetes-$version" pause coredns-$COREDNS_VERSION busybox nginx-1.26 nginx-1.27)
  for tar in "${wanted[@]}"; do
    [ -s "$dir/$tar.tar" ] || build_image "$tar" "$version" "$dir/$tar.tar"
  done
  for tar in "${wanted[@]}"; do
    ctr_ images import "$dir/$tar.tar" >/dev/null ||
      die "could not import the image $tar (see above)"
  done
}

build_image() {
  local name=$1 version=$2 out=$3
  case $name in
    kubernetes-*) python3 "$HERE/images.py" kubernetes --version "$version" --binary "$CACHE/$version/kubecluster" --out "$out" ;;
    pause) python3 "$HERE/images.py" pause --version 1 --binary "$CACHE/$version/pause" --out "$out" ;;
    coredns-*) python3 "$HERE/images.py" coredns --version "$COREDNS_VERSION" --binary "$(build_coredns)" --out "$out" ;;
    busybox) python3 "$HERE/images.py" busybox --out "$out" ;;
    nginx-*) python3 "$HERE/images.py" nginx --tag "${name#nginx-}" --debs "$(nginx_debs)" --out "$out" ;;
  esac || die "could not build the image $name"
}

build_coredns() {  # CoreDNS from the Go module proxy, once
  local bin=$CACHE/coredns-$COREDNS_VERSION/coredns
  if [ ! -x "$bin" ]; then
    say "building CoreDNS $COREDNS_VERSION (github.com/coredns/coredns) into $(dirname "$bin")"
    GOBIN=$(dirname "$bin") CGO_ENABLED=0 go install -trimpath -ldflags '-s -w' \
      "github.com/coredns/coredns@$COREDNS_VERSION" >&2 || die "could not build CoreDNS"
  fi
  echo "$bin"
}

nginx_debs() {  # Debian's nginx, downloaded (not installed) and unpacked, once
  local dir=$CACHE/debs/nginx deb
  if [ ! -s "$dir/version" ]; then
    rm -rf "$dir" && mkdir -p "$dir/root"
    (cd "$dir" && apt-get download nginx nginx-common >/dev/null 2>&1) ||
      { apt-get update -qq >/dev/null 2>&1; (cd "$dir" && apt-get download nginx nginx-common >/dev/null); } ||
      die "could not download Debian's nginx package"
    for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
    dpkg-deb -f "$dir"/nginx_*.deb Version >"$dir/version"
  fi
  echo "$dir"
}

# The control plane as kubeadm lays it out: one static pod each, from the release's image.
write_static_pods() {
  local version=$1 image=localhost/kubecapture/kubernetes:$1 dir=$STATE/manifests
  mkdir -p "$dir"
  static_pod etcd "$image" "$STATE/etcd" etcd --data-dir "$STATE/etcd" \
    --client-url "http://127.0.0.1:$ETCD_PORT" --peer-url "http://127.0.0.1:$((ETCD_PORT + 1))"
  static_pod kube-apiserver "$image" "$PKI" kube-apiserver \
    --bind-address=0.0.0.0 --advertise-address="$NODE_IP" --secure-port="$PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --cert-dir="$PKI/generated" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --allow-privileged=true --profiling=false
  static_pod kube-controller-manager "$image" "$PKI" kube-controller-manager \
    --kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr="$POD_CIDR" --service-cluster-ip-range="$SERVICE_CIDR" \
    --profiling=false
  static_pod kube-scheduler "$image" "$PKI" kube-scheduler \
    --kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false
}

static_pod() {  # static_pod NAME IMAGE HOSTPATH ROLE ARGS...: $STATE/manifests/NAME.yaml
  local name=$1 image=$2 mount=$3; shift 3
  local arg args=""
  for arg in kubecluster "$@"; do args+="    - \"$arg\""$'\n'; done
  mkdir -p "$mount"
  # Written beside and renamed: the kubelet reads every file of the folder but hidden ones.
  cat >"$STATE/manifests/.$name.yaml.tmp" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  namespace: kube-system
  labels:
    component: $name
    tier: control-plane
spec:
  hostNetwork: true
  priorityClassName: system-node-critical
  containers:
  - name: $name
    image: $image
    imagePullPolicy: Never
    command:
$args    volumeMounts:
    - {name: data, mountPath: "$mount"}
  volumes:
  - name: data
    hostPath: {path: "$mount", type: Directory}
EOF
  mv "$STATE/manifests/.$name.yaml.tmp" "$STATE/manifests/$name.yaml"
}

write_kubelet_config() {
  mkdir -p "$STATE/kubelet" "$STATE/pod-logs"
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only (its init holds the v1 memory controller, so v2 cannot
# be mounted); the v1.35+ kubelet refuses to start on v1 unless told (KEP-5573). It then
# posts a Warning CgroupV1 event on the node at each start.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
staticPodPath: $STATE/manifests
podLogsDir: $STATE/pod-logs
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: /etc/resolv.conf
failSwapOn: false
# A static pod's mirror pod that the API server refused (while it starts, before its own
# PriorityClasses exist) or that an upgrade outdated is made again at the next sync: every
# 10 s instead of every minute, so that kube-system lists the control plane soon.
syncFrequency: 10s
# The images are imported, never pulled: garbage collection must not remove them, and a
# busy shared disk must not evict the notes' pods.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
EOF
}

start_kubelet() {
  local version=$1
  write_kubelet_config
  launch kubelet "$CACHE/$version/kubecluster" kubelet --config="$STATE/kubelet/config.yaml" \
    --kubeconfig="$PKI/kubelet.kubeconfig" --root-dir="$STATE/kubelet" \
    --hostname-override="$(cat "$STATE/node-name")" --node-ip="$NODE_IP" --v=1
}

# output_of SECONDS WHAT COMMAND...: COMMAND's output once it succeeds. A kubelet of another
# release may restart a static pod once more after it was seen Running, so every call after
# an upgrade step may meet the API server away for a few seconds.
output_of() {
  local seconds=$1 what=$2 out _; shift 2
  for _ in $(seq $((seconds * 2))); do
    out=$("$@" 2>/dev/null) && { printf '%s\n' "$out"; return 0; }
    sleep 0.5
  done
  die "$what within $seconds s (see $STATE/logs/)"
}

wait_for() { output_of "$@" >/dev/null; }  # wait_for SECONDS WHAT COMMAND...: until it succeeds

api_ready() { kubectl_ get --raw /readyz; }

# kube-proxy (DaemonSet) and CoreDNS (Deployment, Service kube-dns), as kubeadm applies them.
apply_addons() {
  local version=$1 file
  for file in "$HERE"/addons/*.yaml; do
    sed -e "s|@KUBE_IMAGE@|localhost/kubecapture/kubernetes:$version|g" \
      -e "s|@COREDNS_IMAGE@|localhost/kubecapture/coredns:$COREDNS_VERSION|g" \
      -e "s|@SERVER@|https://127.0.0.1:$PORT|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
      -e "s|@DNS_IP@|$DNS_IP|g" "$file"
    echo "---"
  done | kubectl_ apply --server-side --force-conflicts -f - >/dev/null
}

# What stands in for public images, on the node itself, for provenance to show.
annotate_node() {
  local node=$1
  kubectl_ annotate --overwrite node "$node" \
    "kubecapture.dev/stand-in-images=nginx:1.26, nginx:1.27 = local images of Debian's nginx $(cat "$CACHE/debs/nginx/version"); busybox:1.36 = a local image of Debian's busybox-static $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null)" \
    "kubecapture.dev/node=real: kubelet, containerd $(containerd --version | awk '{print $3}'), runc, CNI bridge; images built locally, never pulled" >/dev/null
  kubectl_ label --overwrite node "$node" node-role.kubernetes.io/control-plane= >/dev/null
}

node_start() {
  local version=$1 node
  node=$(cat "$STATE/node-name")
  record_host
  prepare_host
  start_containerd
  import_images "$version"
  write_static_pods "$version"
  # The controller-manager and the scheduler exit while the API server is not up yet, a
  # restart that `get pod -n kube-system` would show: they start once it answers.
  mkdir -p "$STATE/manifests.later"
  mv "$STATE/manifests/kube-controller-manager.yaml" "$STATE/manifests/kube-scheduler.yaml" \
    "$STATE/manifests.later/"
  start_kubelet "$version"
  wait_for 120 "the API server did not become ready" api_ready
  mv "$STATE/manifests.later/"*.yaml "$STATE/manifests/"
  wait_for 60 "the node did not register" kubectl_ get node "$node"
  annotate_node "$node"
  wait_for 60 "could not apply kube-proxy and CoreDNS (tests/cluster/addons)" apply_addons "$version"
  wait_for 120 "the node did not become Ready" kubectl_ wait --for=condition=Ready "node/$node" --timeout=1s
  wait_for 120 "kube-proxy and CoreDNS did not become ready" kubectl_ -n kube-system wait \
    --for=condition=Ready pod -l 'k8s-app in (kube-proxy, kube-dns)' --timeout=1s
  wait_for 300 "the control plane's static pods did not appear" control_plane_listed "$version"
  kube_system_steady
}

# Every kube-system pod Ready, and again 5 s later: once, on a fresh cluster, the notes'
# `get pod -n kube-system` caught CoreDNS at 0/1 after it had been seen Ready. A cluster
# is handed over (to the notes, to the tests) only when it holds still.
kube_system_steady() {
  local deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if all_ready && sleep 5 && all_ready; then return 0; fi
    sleep 1
  done
  die "kube-system's pods did not stay Ready for 5 s within 120 s (see $STATE/logs/)"
}

all_ready() { kubectl_ -n kube-system wait --for=condition=Ready pod --all --timeout=1s >/dev/null 2>&1; }

control_plane_listed() {  # the four mirror pods are listed, Running, from VERSION's image
  local images
  images=$(kubectl_ -n kube-system get pod -l tier=control-plane \
    -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.spec.containers[0].image}{"\n"}{end}')
  [ "$(grep -cx "localhost/kubecapture/kubernetes:$1" <<<"$images")" = 4 ] && api_ready
}

# kubeadm's order: the control plane first (each static pod restarts on the new image),
# then the kubelet, then kube-proxy. Etcd's data, the keys and the kubeconfig stay.
node_upgrade() {
  local version=$1 node component step=$SECONDS
  node=$(cat "$STATE/node-name")
  import_images "$version"
  say "images of $version imported ($((SECONDS - step)) s)"; step=$SECONDS
  for component in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    sed "s|image: localhost/kubecapture/kubernetes:.*|image: localhost/kubecapture/kubernetes:$version|" \
      "$STATE/manifests/$component.yaml" >"$STATE/manifests/.$component.yaml.tmp"
    mv "$STATE/manifests/.$component.yaml.tmp" "$STATE/manifests/$component.yaml"
    wait_for 300 "$component did not come back on $version" mirror_pod_on "$component-$node" "$version"
    say "$component on $version ($((SECONDS - step)) s)"; step=$SECONDS
  done
  echo "$version" >"$STATE/version"
  stop_one kubelet
  start_kubelet "$version"
  wait_for 120 "the kubelet $version did not report" node_on "$node" "$version"
  # A kubelet of another release may start the static pods again (their spec's hash is
  # computed anew): the control plane is back before kube-proxy is updated.
  wait_for 300 "the control plane did not come back under the kubelet $version" \
    control_plane_listed "$version"
  say "kubelet on $version, control plane listed ($((SECONDS - step)) s)"; step=$SECONDS
  wait_for 60 "could not apply kube-proxy and CoreDNS (tests/cluster/addons)" apply_addons "$version"
  wait_for 120 "kube-proxy $version did not roll out" kubectl_ -n kube-system rollout status ds/kube-proxy --timeout=1s
  say "kube-proxy on $version ($((SECONDS - step)) s)"; step=$SECONDS
  # CoreDNS watched the API server through every restart above and backs off after each
  # failure, so a Service made right after the upgrade would not resolve for a while:
  # restarted, as kubeadm's upgrade of the CoreDNS addon restarts it.
  local old
  old=$(output_of 60 "could not list CoreDNS" kubectl_ -n kube-system get pod -l k8s-app=kube-dns -o name)
  wait_for 60 "could not restart CoreDNS" kubectl_ -n kube-system rollout restart deployment/coredns
  wait_for 120 "CoreDNS did not come back" kubectl_ -n kube-system rollout status deployment/coredns --timeout=1s
  # The old pod is gone too, so that the next `get pod -n kube-system` lists one CoreDNS.
  [ -z "$old" ] || kubectl_ -n kube-system wait --for=delete $old --timeout=90s >/dev/null 2>&1 || true
  wait_for 120 "the node did not become Ready" kubectl_ wait --for=condition=Ready "node/$node" --timeout=1s
  say "CoreDNS restarted, node Ready ($((SECONDS - step)) s)"
}

mirror_pod_on() {
  local pod=$1 version=$2
  [ "$(kubectl_ -n kube-system get pod "$pod" -o jsonpath='{.spec.containers[0].image} {.status.phase}')" = \
    "localhost/kubecapture/kubernetes:$version Running" ] && api_ready
}

node_on() {
  [ "$(kubectl_ get node "$1" -o jsonpath='{.status.nodeInfo.kubeletVersion}')" = "$2" ]
}

# Undo everything, going on past any step that fails (a half-started node included).
node_stop() { (set +e +o pipefail; undo_node); }

undo_node() {
  stop_one kubelet
  if alive containerd; then
    # Every pod through the CRI, as the kubelet would: containers, networks, namespaces.
    timeout 120 "$CACHE/$(cat "$STATE/version")/kubecluster" node-cleanup \
      --endpoint "unix://$CONTAINERD_SOCK" 2>>"$STATE/logs/node-cleanup.log" || true
  fi
  stop_one containerd
  local _
  for _ in $(seq 20); do  # the shims, until they are gone
    pkill -KILL -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null || break
    sleep 0.5
  done
  kill_pod_processes
  unmount_state
  restore_host
}

# Whatever still runs in the kubelet's cgroups (containerd died, or a start was cut short):
# killed, so that no container outlives its node.
kill_pod_processes() {
  local _ pids
  for _ in 1 2 3 4 5; do
    pids=$(cat /sys/fs/cgroup/*/kubepods/cgroup.procs /sys/fs/cgroup/*/kubepods/*/cgroup.procs \
      /sys/fs/cgroup/*/kubepods/*/*/cgroup.procs /sys/fs/cgroup/*/kubepods/*/*/*/cgroup.procs \
      2>/dev/null | sort -u || true)
    [ -n "$pids" ] || return 0
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
}

# What a real node changes on the host, printed the same way every time (no counters, no
# dates): `.ci/run` compares it before start and after stop.
host_state() {
  local name path
  echo "# iptables"; iptables-save 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
  echo "# ip6tables"; ip6tables-save 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
  echo "# sysctls"
  for name in "${SYSCTLS[@]}"; do
    path=/proc/sys/${name//.//}
    [ -r "$path" ] && echo "$name = $(cat "$path")"
  done
  echo "# links"; ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
  echo "# routes"; ip route show 2>/dev/null
  echo "# mounts"; awk '{print $5}' /proc/self/mountinfo | sort
  echo "# paths"; for path in "${HOST_PATHS[@]}"; do [ -e "$path" ] && echo "$path"; done
  echo "# network namespaces"; ls /var/run/netns 2>/dev/null
  echo "# cgroups"; ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods 2>/dev/null
  echo "# nftables"; nft list tables 2>/dev/null
  echo "# processes"
  # Exited processes not reaped yet (state Z) are gone already: not counted.
  ps -e -o stat=,comm= | awk '$1 !~ /^Z/ {print $2}' |
    grep -E '^(containerd|kubecluster|kubelet|kube-|etcd|coredns|nginx|pause)' | sort | uniq -c
  return 0
}
