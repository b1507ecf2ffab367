// Command kubecluster is one binary holding the upstream Kubernetes control
// plane (kube-apiserver, kube-controller-manager, kube-scheduler), an embedded
// etcd, and the node's kubelet and kube-proxy, so a test cluster needs nothing
// of Kubernetes but this file (kubectl is built beside it: see ../kubectl).
//
// Usage: kubecluster ROLE [flags], ROLE one of etcd, pki, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubelet, kube-proxy, node-cleanup,
// version
// Each role runs in its own process (the driver script starts four), because
// the components register global flags and metrics and expect a process each.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	_ "time/tzdata" // for timeZone support in CronJob

	"context"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/component-base/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kubecluster etcd|pki|kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy|version [flags]")
		os.Exit(2)
	}
	role, args := os.Args[1], os.Args[2:]
	var command *cobra.Command
	switch role {
	case "etcd":
		os.Exit(runEtcd(args))
	case "pki":
		os.Exit(runPKI(args))
	case "node-cleanup":
		os.Exit(runNodeCleanup(args))
	case "version":
		fmt.Println(version.Get().GitVersion)
		return
	case "kube-apiserver":
		command = apiserver.NewAPIServerCommand()
	case "kube-controller-manager":
		command = controllermanager.NewControllerManagerCommand()
	case "kube-scheduler":
		command = scheduler.NewSchedulerCommand()
	case "kubelet":
		command = kubelet.NewKubeletCommand(context.Background())
	case "kube-proxy":
		command = proxy.NewProxyCommand()
	default:
		fmt.Fprintf(os.Stderr, "kubecluster: unknown role %q\n", role)
		os.Exit(2)
	}
	// The components read their name from argv[0] in a few log lines.
	os.Args = append([]string{filepath.Join(filepath.Dir(os.Args[0]), role)}, args...)
	command.SetArgs(args)
	os.Exit(cli.Run(command))
}
