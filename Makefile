# fortisync — the commands the README promises. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json

# Node.js 24 LTS (.node-version) runs every target. A machine whose own node is older gets the pinned
# release from the npm registry, cached in ~/.cache/fortisync/node/ (hack/node/ensure.sh), first on PATH.
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
NODE_BIN := $(shell hack/node/ensure.sh)
ifeq ($(.SHELLSTATUS),0)
export PATH := $(if $(NODE_BIN),$(NODE_BIN):)$(PATH)
else
$(error Node.js $(shell cat .node-version) is needed and could not be provided: see the message above)
endif
endif

.PHONY: help node deps testenv kwok tools promtool build lint test test-unit test-integration test-ansible demo bench crds chart-files image clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

node: ## Print the Node.js every target runs (fetched into the cache when the machine's is older than .node-version)
	@echo "$$(command -v node) $$(node --version)"

deps: $(NPM_STAMP) ## Install the npm dependencies (npm ci)

testenv: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (cached)
	@hack/testenv/build.sh >/dev/null

kwok: ## Build kwok, the fake kubelet of the demo's workers (cached)
	@hack/kwok/build.sh >/dev/null

tools: ## Build kstatus, argocd-health (Argo CD's Lua health checks) and helm (cached)
	@hack/tools/build.sh >/dev/null

promtool: ## Install Prometheus and promtool from Debian when missing (alert rule and dashboard tests)
	@hack/prometheus/install.sh

build: deps ## Compile TypeScript into dist/
	npm run build

crds: build ## Regenerate crds/ from src/api/v1alpha1 (and the chart's copy)
	node dist/src/cmd/fortisync.js gen-crds --out crds
	$(MAKE) chart-files

chart-files: ## Copy the CRDs, alert rules and dashboard into charts/fortisync/files (a test checks they match)
	cp crds/fortisync.io_*.yaml charts/fortisync/files/crds/
	cp config/prometheus/rules.yaml charts/fortisync/files/prometheus-rules.yaml
	cp config/grafana/fortisync.json charts/fortisync/files/grafana-dashboard.json

lint: deps ## Type-check, ESLint and Prettier
	npm run lint
	npm run format:check

test-unit: deps ## Unit tests only
	npm run test:unit

test-integration: deps testenv tools promtool build ## Tests against the simulator and a real kube-apiserver
	npm run test:integration

test-ansible: deps ## Fortinet's fortinet.fortimanager Ansible collection vs the FortiManager simulator (~70 s; apt-get install ansible)
	FORTISYNC_ANSIBLE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js test/fortimanager/ansible.test.ts

test: deps testenv kwok tools promtool build lint ## Everything CI runs: install, build the control plane, kwok and tools, lint, all tests
	npm test

demo: deps testenv kwok build ## Run the storefront walkthrough end to end (KEEP=1 leaves it running; FMG=1 through FortiManager)
	node dist/hack/demo/demo.js $(if $(KEEP),--keep,) $(if $(FMG),--fortimanager,)

bench: deps testenv build ## Benchmarks: real control plane, simulator, operator (SCENARIO=all, ARGS=…)
	node dist/bench/run.js $(or $(SCENARIO),all) $(ARGS)

IMAGE ?= fortisync:dev
PLATFORMS ?= linux/amd64,linux/arm64

image: ## Build the container image (needs a Docker engine; PUSH=1 builds $(PLATFORMS) with buildx and pushes $(IMAGE))
	@if [[ -n "$(PUSH)" ]]; then \
	  docker buildx build --platform $(PLATFORMS) -t $(IMAGE) --push . ; \
	else \
	  docker build -t $(IMAGE) . ; \
	fi

clean: ## Remove build output (the control-plane cache stays; see hack/testenv/build.sh)
	rm -rf dist coverage
