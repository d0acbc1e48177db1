# fortisync — the commands the README promises. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json

.PHONY: help deps testenv kwok tools promtool build lint test test-unit test-integration demo bench crds chart-files image clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

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

test: deps testenv kwok tools promtool build lint ## Everything CI runs: install, build the control plane, kwok and tools, lint, all tests
	npm test

demo: deps testenv kwok build ## Run the storefront walkthrough end to end (KEEP=1 leaves it running)
	node dist/hack/demo/demo.js $(if $(KEEP),--keep,)

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
