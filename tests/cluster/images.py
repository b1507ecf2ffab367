"""Container images for the real node, assembled here without Docker or a registry.

Each image is one layer made of files of this machine (Debian packages, the binaries built
by `cluster build`), written as a docker-archive tarball that `ctr images import` loads into
the node's containerd. Nothing is pulled. Every image says what it is in its labels
(`dev.kubecapture.image.*`); an image that carries a public name (nginx:1.27, which
readers pull on minikube) says which local build stands in for it, and `cluster` writes
the same on the node's annotations so that provenance can show it.

    images.py IMAGE --out FILE.tar [--binary PATH] [--version V] [--debs DIR]

IMAGE is one of: kubernetes (the release's kubecluster binary and iptables for
kube-proxy), pause, coredns, busybox, nginx. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

# Public names a local stand-in carries, the images the notes' manifests name.
NGINX_TAGS = ("1.26", "1.27")
BUSYBOX_TAG = "1.36"
LABEL = "dev.kubecapture.image"


class Layer:
    """One image layer: files added by their path inside the image, deterministic
    (owner root, mtime 0), so the same inputs give the same image ID."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[tarfile.TarInfo, bytes | None]] = {}

    def _info(self, path: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type, info.mode, info.mtime, info.uid, info.gid = kind, mode, 0, 0, 0
        return info

    def directory(self, path: str, mode: int = 0o755) -> None:
        parts = Path(path.lstrip("/")).parts
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            self.entries.setdefault(sub, (self._info(sub, tarfile.DIRTYPE, mode), None))

    def data(self, path: str, content: bytes, mode: int = 0o644) -> None:
        self.directory(str(Path(path).parent))
        info = self._info(path, tarfile.REGTYPE, mode)
        info.size = len(content)
        self.entries[path.lstrip("/")] = (info, content)

    def symlink(self, path: str, target: str) -> None:
        self.directory(str(Path(path).parent))
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.entries[path.lstrip("/")] = (info, None)

    def host_file(self, path: str, inside: str | None = None) -> None:
        """A file of this machine, at the same path inside the image unless `inside` says
        otherwise; a symlink is kept as one and its target added too."""
        inside = inside or path
        if os.path.islink(path):
            target = os.readlink(path)
            self.symlink(inside, target)
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            self.host_file(
                resolved, os.path.normpath(os.path.join(os.path.dirname(inside), target))
            )
            return
        self.data(inside, Path(path).read_bytes(), os.stat(path).st_mode & 0o7777)

    def host_program(self, path: str) -> None:
        """A dynamically linked program of this machine with every library it loads."""
        self.host_file(path)
        for lib in shared_libraries(path):
            self.host_file(lib)

    def tar(self) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(self.entries):
                info, content = self.entries[name]
                tar.addfile(info, io.BytesIO(content) if content is not None else None)
        return out.getvalue()


def shared_libraries(path: str) -> list[str]:
    """The libraries `path` loads (ldd), the dynamic loader included; none for a static binary."""
    result = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return re.findall(r"(/\S+) \(0x", result.stdout)


def write_archive(
    out: Path, tags: list[str], layer: Layer, config: dict, labels: dict[str, str]
) -> None:
    """A docker-archive tarball (manifest.json, the config, one layer) for `ctr images import`."""
    layer_bytes = layer.tar()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Labels": labels,
            **config,
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "tests/cluster/images.py"}],
    }
    config_bytes = json.dumps(image_config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": tags, "Layers": ["layer.tar"]}]
    archive = Layer()
    archive.data("manifest.json", json.dumps(manifest).encode())
    archive.data(config_name, config_bytes)
    archive.data("layer.tar", layer_bytes)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(archive.tar())
    tmp.replace(out)


def base_files(layer: Layer, users: str = "", groups: str = "") -> None:
    """What every image has: /etc/passwd and /etc/group, /tmp, and nothing else of the host."""
    layer.data("/etc/passwd", ("root:x:0:0:root:/root:/bin/sh\n" + users).encode())
    layer.data("/etc/group", ("root:x:0:\n" + groups).encode())
    layer.directory("/tmp", 0o1777)


def kubernetes(version: str, binary: str) -> tuple[list[str], Layer, dict, dict]:
    layer = Layer()
    base_files(layer)
    layer.data("/usr/local/bin/kubecluster", Path(binary).read_bytes(), 0o755)
    # kube-proxy programs the host's iptables from inside its pod (iptables-nft, as on the
    # host), so the image carries Debian's iptables, its libraries and its extensions.
    for program in ("/usr/sbin/xtables-nft-multi",):
        layer.host_program(program)
    for name in (
        "iptables",
        "iptables-save",
        "iptables-restore",
        "ip6tables",
        "ip6tables-save",
        "ip6tables-restore",
    ):
        layer.symlink(f"/usr/sbin/{name}", "xtables-nft-multi")
    extensions = Path("/usr/lib/x86_64-linux-gnu/xtables")
    for ext in sorted(extensions.glob("*.so")):
        layer.host_file(str(ext))
        for lib in shared_libraries(str(ext)):
            layer.host_file(lib)
    layer.data(
        "/etc/ethertypes",
        Path("/etc/ethertypes").read_bytes() if Path("/etc/ethertypes").exists() else b"",
    )
    labels = {
        f"{LABEL}.built-from": f"k8s.io/kubernetes {version} (tests/cluster/kubecluster)",
        f"{LABEL}.local": "true",
    }
    return (
        [f"localhost/kubecapture/kubernetes:{version}"],
        layer,
        {"Entrypoint": ["/usr/local/bin/kubecluster"]},
        labels,
    )


def static_binary_image(
    name: str, tag: str, binary: str, inside: str, built_from: str, config: dict | None = None
) -> tuple[list[str], Layer, dict, dict]:
    layer = Layer()
    base_files(layer)
    layer.data(inside, Path(binary).read_bytes(), 0o755)
    labels = {f"{LABEL}.built-from": built_from, f"{LABEL}.local": "true"}
    return (
        [f"localhost/kubecapture/{name}:{tag}"],
        layer,
        config or {"Entrypoint": [inside]},
        labels,
    )


def busybox() -> tuple[list[str], Layer, dict, dict]:
    layer = Layer()
    base_files(layer, "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", "nogroup:x:65534:\n")
    layer.host_file("/bin/busybox")
    applets = subprocess.run(
        ["/bin/busybox", "--list"], capture_output=True, text=True, check=True
    ).stdout
    for applet in applets.split():
        if applet != "busybox":
            layer.symlink(f"/bin/{applet}", "busybox")
    version = debian_version("busybox-static")
    labels = {
        f"{LABEL}.stand-in": (
            f"busybox:{BUSYBOX_TAG} = a local image of Debian's busybox-static {version}"
        ),
        f"{LABEL}.local": "true",
    }
    return [f"docker.io/library/busybox:{BUSYBOX_TAG}"], layer, {"Cmd": ["sh"]}, labels


NGINX_CONF = b"""# The local stand-in for the nginx image: Debian's nginx, configured as the
# official image is (port 80, logs to the container's stdout and stderr).
user nginx;
worker_processes 1;
error_log /dev/stderr notice;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    server {
        listen 80;
        server_name localhost;
        location / { root /usr/share/nginx/html; index index.html; }
    }
}
"""


def nginx(tag: str, debs: Path) -> tuple[list[str], Layer, dict, dict]:
    """Debian's nginx (extracted from its .deb files in `debs`) under the public name
    nginx:TAG, which readers pull on minikube; its labels say what it really is."""
    root = debs / "root"
    layer = Layer()
    base_files(layer, "nginx:x:101:101:nginx:/nonexistent:/bin/false\n", "nginx:x:101:\n")
    layer.data("/etc/nginx/nginx.conf", NGINX_CONF)
    layer.data("/etc/nginx/mime.types", (root / "etc/nginx/mime.types").read_bytes())
    layer.data(
        "/usr/share/nginx/html/index.html", (root / "usr/share/nginx/html/index.html").read_bytes()
    )
    layer.data("/usr/sbin/nginx", (root / "usr/sbin/nginx").read_bytes(), 0o755)
    for lib in shared_libraries(str(root / "usr/sbin/nginx")):
        layer.host_file(lib)
    for folder in ("/var/lib/nginx", "/var/log/nginx", "/run"):
        layer.directory(folder)
    version = (debs / "version").read_text().strip()
    labels = {
        f"{LABEL}.stand-in": f"nginx:{tag} = a local image of Debian's nginx {version}",
        f"{LABEL}.local": "true",
    }
    config = {
        "Cmd": ["nginx", "-g", "daemon off;"],
        "ExposedPorts": {"80/tcp": {}},
        "StopSignal": "SIGQUIT",
    }
    return [f"docker.io/library/nginx:{tag}"], layer, config, labels


def debian_version(package: str) -> str:
    return subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
    ).stdout.strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", choices=["kubernetes", "pause", "coredns", "busybox", "nginx"])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--binary")
    parser.add_argument("--version")
    parser.add_argument("--tag")
    parser.add_argument("--debs", type=Path)
    args = parser.parse_args(argv)
    if args.image == "kubernetes":
        image = kubernetes(args.version, args.binary)
    elif args.image == "pause":
        image = static_binary_image(
            "pause", args.version, args.binary, "/pause", "tests/cluster/pause (Go)"
        )
    elif args.image == "coredns":
        image = static_binary_image(
            "coredns",
            args.version,
            args.binary,
            "/coredns",
            f"github.com/coredns/coredns {args.version}",
            {"Entrypoint": ["/coredns"], "ExposedPorts": {"53/udp": {}, "53/tcp": {}}},
        )
    elif args.image == "busybox":
        image = busybox()
    else:
        image = nginx(args.tag, args.debs)
    tags, layer, config, labels = image
    write_archive(args.out, tags, layer, config, labels)
    sys.stderr.write(f"{args.out}: {', '.join(tags)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
