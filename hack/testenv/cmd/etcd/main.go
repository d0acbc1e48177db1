// Command etcd is etcd's own server entry point, built from the etcd server
// module at the version Kubernetes requires, so tests need no prebuilt binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
