// Command kubectl is upstream kubectl of the same release as the cluster
// (k8s.io/kubectl, built from this folder's module): a capture's kubectl is the
// server's own minor version, as minikube's bundled kubectl is. It is a binary
// of its own so that its flags (`kubectl options`) are exactly upstream's.
package main

import (
	"os"

	_ "k8s.io/client-go/plugin/pkg/client/auth" // as upstream's cmd/kubectl
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	// As upstream's cmd/kubectl: verbosity is read before the command is built.
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
