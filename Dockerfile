# syntax=docker/dockerfile:1
# Image of one provider manager. Choose the provider with --build-arg package=bootstrap|controlplane (upstream's
# "./bootstrap/main.go" form works too) and pass the version information as --build-arg LDFLAGS, as
# `make docker-build` does. Multi-arch: `docker buildx build --platform linux/amd64,linux/arm64`; the builder runs
# natively and cross-compiles. Without Docker, `make image-tarballs` builds equivalent images (docs/images.md).

ARG GO_VERSION=1.26
ARG BASE_IMAGE=gcr.io/distroless/static:nonroot

FROM --platform=$BUILDPLATFORM docker.io/library/golang:${GO_VERSION} AS builder
WORKDIR /workspace
# Modules first: source edits then reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG package=bootstrap
# Declared so the value reaches the build (upstream's Dockerfile used ${LDFLAGS} undeclared, which is always empty).
ARG LDFLAGS=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    pkg="${package%/main.go}" && \
    CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
    go build -trimpath -ldflags "${LDFLAGS}" -o /workspace/manager "./${pkg#./}"

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/k3s-io/cluster-api-k3s" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /
COPY --from=builder --chown=65532:65532 /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
