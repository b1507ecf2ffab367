package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// runNodeCleanup stops and removes every pod sandbox the node's containerd holds,
// through the CRI as the kubelet would: each sandbox's containers are stopped, its
// network torn down by the CNI plugins (veth, IP lease, iptables rules) and its
// network namespace removed. `cluster stop` runs it after the kubelet has stopped,
// so nothing of the pods is left on the host.
func runNodeCleanup(args []string) int {
	flags := flag.NewFlagSet("node-cleanup", flag.ContinueOnError)
	endpoint := flags.String("endpoint", "", "containerd's CRI socket, unix:///...")
	timeout := flags.Duration("timeout", 90*time.Second, "give up after this long")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-cleanup: %v\n", err)
		return 1
	}
	defer conn.Close()
	client := runtimeapi.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	sandboxes, err := client.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-cleanup: listing pod sandboxes: %v\n", err)
		return 1
	}
	failed := 0
	for _, sandbox := range sandboxes.Items {
		id := &runtimeapi.StopPodSandboxRequest{PodSandboxId: sandbox.Id}
		if _, err := client.StopPodSandbox(ctx, id); err != nil {
			fmt.Fprintf(os.Stderr, "node-cleanup: stopping %s: %v\n", sandbox.Metadata.GetName(), err)
			failed++
			continue
		}
		if _, err := client.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sandbox.Id}); err != nil {
			fmt.Fprintf(os.Stderr, "node-cleanup: removing %s: %v\n", sandbox.Metadata.GetName(), err)
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}
