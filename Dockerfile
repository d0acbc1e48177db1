# syntax=docker/dockerfile:1
# fortisync operator image. Build: `make image` (docker build -t fortisync:dev .).
# Run: the image's default command is `fortisync operator` (in-cluster config); `fortisync simulator`
# and `fortisync gen-crds` are the same binary: `docker run fortisync:dev simulator --help`.

# --- build: compile TypeScript and bundle it, with the same commands as `make build` ------------
FROM node:24.22.3-trixie-slim AS build
WORKDIR /src
# Dependencies first, so the layer is reused while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# tsconfig.build.json compiles src, test/support, bench and hack/**/*.ts; hack/bundle.ts then bundles
# dist/src/cmd/fortisync.js and every package it imports into dist/bundle, which is all the image ships.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY test/support ./test/support
COPY bench ./bench
COPY hack ./hack
RUN npm run build

# --- runtime: distroless Node.js 24 LTS on Debian 13, no shell, no package manager, uid 65532 --------
# The Node.js release line matches .node-version (test/unit/platform.test.ts keeps them in step).
FROM gcr.io/distroless/nodejs24-debian13:nonroot
# Alternative base with a shell (for debugging; larger, more CVEs to patch). Replace the FROM line and
# the USER/ENTRYPOINT lines below with these. The Deployment's runAsUser: 65532 still works: the
# files are world-readable.
#   FROM node:24.22.3-trixie-slim
#   USER node
#   ENTRYPOINT ["node", "--heap-growing-percent=10", "dist/bundle/fortisync.mjs"]
WORKDIR /app
ENV NODE_ENV=production
# The bundle holds the operator and its packages: no node_modules (about 20 MB less memory than
# loading them file by file, and no unused package files to scan or patch; docs/decisions/0007-bundle.md).
# Beside it: its source maps (`node --enable-source-maps` maps stack traces back to src/), packages.json
# (every bundled package and version, for scanners and audits), THIRD-PARTY-NOTICES.md (their
# licences) and fortisync.mjs.LEGAL.txt (the licence comments found in their code).
COPY --from=build /src/dist/bundle ./dist/bundle
# package.json: the version the operator reports (src/version.ts walks up from the bundle to it).
COPY package.json ./
COPY crds ./crds
USER 65532:65532
# metrics (/metrics) and health (/healthz, /readyz)
EXPOSE 8080 8081
# Node is PID 1 and handles SIGTERM itself (drains, releases the leader Lease, exits).
# --heap-growing-percent=10: V8 grows the heap by 10 % between full collections instead of its own,
# larger factor; with 10,000 pods the cold-start peak fell from 155 to 144 MB at no measurable cost
# in latency (bench/README.md). It is a V8 flag Node does not accept in NODE_OPTIONS, hence here.
ENTRYPOINT ["/nodejs/bin/node", "--heap-growing-percent=10", "dist/bundle/fortisync.mjs"]
CMD ["operator"]
