// Command kstatus prints the kstatus verdict for each Kubernetes object read as JSON from stdin (a
// single object, a List, a JSON array, or a stream of objects), computed by both implementations
// users' tools run: sigs.k8s.io/cli-utils/pkg/kstatus/status (kpt, cli-utils' apply) and Flux's
// fork github.com/fluxcd/cli-utils (kustomize-controller, helm-controller, Helm 4's --wait).
// The flux columns are printed only when the two disagree in text mode.
//
//	kubectl get fgem -A -o json | kstatus          # STATUS<tab>namespace/name<tab>message
//	kstatus -o json < objects.json                  # one JSON line per object
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"fortisync.io/tools/internal/objects"
	fluxstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Message   string `json:"message"`
	// FluxStatus and FluxMessage are Flux's fork's verdict on the same object.
	FluxStatus  string `json:"fluxStatus"`
	FluxMessage string `json:"fluxMessage"`
}

func main() {
	output := flag.String("o", "text", "output format: text or json")
	flag.Parse()
	objs, err := objects.Read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, u := range objs {
		res, err := status.Compute(u)
		if err != nil {
			fail(u, err)
		}
		flux, err := fluxstatus.Compute(u.DeepCopy())
		if err != nil {
			fail(u, err)
		}
		v := verdict{u.GetNamespace(), u.GetName(), u.GetKind(), res.Status.String(), res.Message,
			flux.Status.String(), flux.Message}
		switch {
		case *output == "json":
			_ = enc.Encode(v)
		case v.FluxStatus != v.Status || v.FluxMessage != v.Message:
			fmt.Printf("%s\t%s\t%s\t(flux: %s\t%s)\n", v.Status, objects.Ref(u), v.Message, v.FluxStatus, v.FluxMessage)
		default:
			fmt.Printf("%s\t%s\t%s\n", v.Status, objects.Ref(u), v.Message)
		}
	}
}

func fail(u *unstructured.Unstructured, err error) {
	fmt.Fprintf(os.Stderr, "kstatus: %s %s: %v\n", u.GetKind(), u.GetName(), err)
	os.Exit(1)
}
