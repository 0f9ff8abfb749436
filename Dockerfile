# Two stages: build a static binary, then ship it alone in a minimal,
# non-root image. `make build` builds the same binary the same way.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tidings ./cmd/tidings

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tidings /usr/local/bin/tidings
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tidings"]
CMD ["serve"]
