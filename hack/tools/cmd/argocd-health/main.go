// Command argocd-health computes the health Argo CD shows for Kubernetes objects read as JSON from
// stdin, running the resource.customizations health Lua of an argocd-cm ConfigMap (or one script)
// with gopher-lua the way Argo CD's util/lua package does.
//
//	argocd-health --argocd-cm config/argocd/argocd-cm.yaml < objects.json
//	argocd-health --script health.lua -o json < objects.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"fortisync.io/tools/internal/argolua"
	"fortisync.io/tools/internal/objects"
)

type verdict struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	cm := flag.String("argocd-cm", "", "argocd-cm ConfigMap (YAML) holding resource.customizations.health.<group>_<kind> keys")
	script := flag.String("script", "", "a health.lua applied to every object (instead of --argocd-cm)")
	output := flag.String("o", "text", "output format: text or json")
	flag.Parse()
	overrides, err := loadOverrides(*cm, *script)
	if err != nil {
		fail(2, err)
	}
	objs, err := objects.Read(os.Stdin)
	if err != nil {
		fail(2, err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, u := range objs {
		h := argolua.ResourceHealth(u, overrides)
		v := verdict{u.GetNamespace(), u.GetName(), u.GetKind(), h.Status, h.Message}
		if *output == "json" {
			_ = enc.Encode(v)
		} else {
			fmt.Printf("%s\t%s\t%s\n", v.Status, objects.Ref(u), v.Message)
		}
	}
}

func loadOverrides(cm, script string) (argolua.Overrides, error) {
	switch {
	case cm != "" && script == "":
		data, err := os.ReadFile(cm)
		if err != nil {
			return nil, err
		}
		return argolua.OverridesFromConfigMap(data)
	case script != "" && cm == "":
		data, err := os.ReadFile(script)
		if err != nil {
			return nil, err
		}
		return argolua.Overrides{"*": {HealthLua: string(data)}}, nil
	}
	return nil, fmt.Errorf("give exactly one of --argocd-cm and --script")
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "argocd-health:", err)
	os.Exit(code)
}
