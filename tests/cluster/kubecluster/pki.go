package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// One identity the cluster's processes use to reach the API server.
type client struct {
	file, commonName, group string
}

var clients = []client{
	{"admin", "kubecapture-admin", "system:masters"},
	{"kube-controller-manager", "system:kube-controller-manager", ""},
	{"kube-scheduler", "system:kube-scheduler", ""},
}

// runPKI writes, once, everything the cluster needs to talk TLS on 127.0.0.1:
// a CA, the API server's serving certificate, client certificates and
// kubeconfigs for the admin and the components, and the service-account key.
// Files that exist are kept, so a restart or an upgrade reuses them.
func runPKI(args []string) int {
	flags := flag.NewFlagSet("pki", flag.ContinueOnError)
	dir := flags.String("dir", "", "folder for the keys, certificates and kubeconfigs")
	server := flags.String("server", "https://127.0.0.1:6443", "the API server's URL")
	context := flags.String("context", "kubecapture", "context, cluster and user name in admin.kubeconfig")
	serviceIP := flags.String("service-ip", "10.96.0.1", "the kubernetes Service's cluster IP")
	node := flags.String("node", "", "a real node's name: also write its kubelet's certificates")
	nodeIP := flags.String("node-ip", "", "the real node's InternalIP (with --node)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "pki: --dir is required")
		return 2
	}
	var ip net.IP
	if *node != "" {
		if ip = net.ParseIP(*nodeIP); ip == nil {
			fmt.Fprintln(os.Stderr, "pki: --node needs --node-ip")
			return 2
		}
	}
	if err := writePKI(*dir, *server, *context, net.ParseIP(*serviceIP), *node, ip); err != nil {
		fmt.Fprintf(os.Stderr, "pki: %v\n", err)
		return 1
	}
	return 0
}

func writePKI(dir, server, context string, serviceIP net.IP, node string, nodeIP net.IP) error {
	if serviceIP == nil {
		return errors.New("bad --service-ip")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	if exists(path("ca.crt")) {
		return nil // made before: a restart or an upgrade keeps the cluster's identity
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := template("kubecapture-cluster-ca", "")
	caTemplate.IsCA = true
	caTemplate.BasicConstraintsValid = true
	caTemplate.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	caPEM := pemBytes("CERTIFICATE", caDER)

	serving := template("kube-apiserver", "")
	serving.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	serving.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default",
		"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	serving.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), serviceIP}
	all := clients
	if node != "" {
		// A real node: pods reach the API server at the node's address (the kubernetes
		// Service's endpoint), the kubelet is a client as system:node:NAME, and the API
		// server reaches the kubelet (logs, exec) with a certificate the kubelet trusts.
		serving.IPAddresses = append(serving.IPAddresses, nodeIP)
		all = append(all, client{"kubelet", "system:node:" + node, "system:nodes"},
			client{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters"})
		kubelet := template("system:node:"+node, "system:nodes")
		kubelet.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		kubelet.DNSNames = []string{node, "localhost"}
		kubelet.IPAddresses = []net.IP{nodeIP, net.ParseIP("127.0.0.1")}
		if err := issue(path("kubelet-serving"), kubelet, ca, caKey); err != nil {
			return err
		}
	}
	if err := issue(path("apiserver"), serving, ca, caKey); err != nil {
		return err
	}
	for _, c := range all {
		t := template(c.commonName, c.group)
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if err := issue(path(c.file), t, ca, caKey); err != nil {
			return err
		}
		name := context
		if c.file != "admin" {
			name = c.file
		}
		if err := writeKubeconfig(path(c.file+".kubeconfig"), server, name, caPEM,
			path(c.file+".crt"), path(c.file+".key")); err != nil {
			return err
		}
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := writeKey(path("sa.key"), saKey); err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path("sa.pub"), pemBytes("PUBLIC KEY", saPub), 0o600); err != nil {
		return err
	}
	// ca.crt last: its presence says the set is complete.
	return os.WriteFile(path("ca.crt"), caPEM, 0o600)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func template(commonName, group string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	subject := pkix.Name{CommonName: commonName}
	if group != "" {
		subject.Organization = []string{group}
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
}

// issue writes NAME.crt and NAME.key: a fresh key signed by the CA.
func issue(name string, t *x509.Certificate, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(name+".key", key); err != nil {
		return err
	}
	return os.WriteFile(name+".crt", pemBytes("CERTIFICATE", der), 0o600)
}

func writeKey(path string, key any) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pemBytes("PRIVATE KEY", der), 0o600)
}

func pemBytes(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// writeKubeconfig embeds the CA and the client's certificate and key, so the
// file works from any folder.
func writeKubeconfig(path, server, name string, caPEM []byte, certFile, keyFile string) error {
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	b64 := base64.StdEncoding.EncodeToString
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
current-context: %[1]s
`, name, server, b64(caPEM), b64(cert), b64(key))
	return os.WriteFile(path, []byte(text), 0o600)
}
