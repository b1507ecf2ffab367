"""``StandIn``, the object tests drive: it starts and stops the HTTP server (server.py)
over a simulated cluster (cluster.py), writes kubeconfigs for it, and sets the scenario
knobs (server version, readiness delays, stuck images, ...)."""

from __future__ import annotations

import base64
import os
import socket
import threading
from pathlib import Path

from .cluster import Cluster
from .server import Handler, Server


class StandIn:
    """An HTTP stand-in for a Kubernetes v1.24 API server (see tests/standin/README.md)."""

    def __init__(self, server_version: str = "v1.24.0", host: str = "127.0.0.1", tls=False):
        self.cluster = Cluster(server_version)
        self.host = host  # the address it listens on (a test may need a non-loopback one)
        # HTTPS with a fresh self-signed certificate: kubectl sends credentials (a bearer
        # token, an exec plugin's) only over TLS
        self.tls = tls
        self.ca_pem = b""
        self.hang = False
        # (method, path) pairs answered 403 as RBAC would, e.g. ("GET", "/api/v1/namespaces")
        self.forbidden: set[tuple[str, str]] = set()
        self.requests: list[tuple[str, str, str]] = []
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    # scenario knobs -------------------------------------------------------------------------

    @property
    def server_version(self) -> str:
        return self.cluster.server_version

    def set_server_version(self, version: str) -> None:
        """Simulate a cluster upgrade: /version and the node's kubelet/proxy versions."""
        self.cluster.set_server_version(version)

    @property
    def ready_delay(self) -> float:
        return self.cluster.ready_delay

    @ready_delay.setter
    def ready_delay(self, seconds: float) -> None:
        self.cluster.ready_delay = seconds

    @property
    def stuck_images(self) -> set[str]:
        return self.cluster.stuck_images

    @stuck_images.setter
    def stuck_images(self, images) -> None:
        self.cluster.stuck_images = set(images)

    @property
    def namespace_delete_delay(self) -> float:
        return self.cluster.namespace_delete_delay

    @namespace_delete_delay.setter
    def namespace_delete_delay(self, seconds: float) -> None:
        self.cluster.namespace_delete_delay = seconds

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> StandIn:
        if self._httpd is not None:
            return self
        self._httpd = Server((self.host, 0), Handler)
        self._httpd.standin = self  # type: ignore[attr-defined]
        if self.tls:
            self._httpd.socket = self._tls_context().wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="standin-http",
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("StandIn not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def _tls_context(self):
        """A server context for a self-signed certificate of `host` (made by openssl)."""
        import ssl
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            key, cert = Path(tmp) / "key.pem", Path(tmp) / "cert.pem"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
                + ["-subj", "/CN=standin", "-addext", f"subjectAltName=IP:{self.host}"]
                + ["-keyout", str(key), "-out", str(cert)],
                check=True,
                capture_output=True,
            )
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.ca_pem = cert.read_bytes()
        return context

    def stop(self) -> None:
        """Stop serving and close the listening socket (new connections are refused)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.cluster.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # clients ----------------------------------------------------------------------------------

    def write_kubeconfig(
        self, path, context: str = "minikube", namespace: str | None = None, extra_contexts=()
    ) -> Path:
        """Write a kubeconfig for this server and return its path.

        ``extra_contexts`` holds more context names (or ``(name, namespace)`` pairs) that point
        at the same server, e.g. ``("prod-eu",)``.
        """
        path = Path(path)
        contexts = [(context, namespace)]
        for extra in extra_contexts:
            contexts.append((extra, None) if isinstance(extra, str) else tuple(extra))
        lines = [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- cluster:",
            f"    server: {self.url}",
            *(
                [f"    certificate-authority-data: {base64.b64encode(self.ca_pem).decode()}"]
                if self.tls
                else []
            ),
            "  name: minikube",
            "contexts:",
        ]
        for name, ns in contexts:
            lines += ["- context:", "    cluster: minikube"]
            if ns:
                lines.append(f"    namespace: {ns}")
            lines += ["    user: minikube", f"  name: {name}"]
        lines += [
            f"current-context: {context}",
            "preferences: {}",
            "users:",
            "- name: minikube",
            "  user: {}",
            "",
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
        os.chmod(path, 0o600)
        return path

    def reachable(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False
