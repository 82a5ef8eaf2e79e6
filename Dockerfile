# Both programs in one small image: the emulator (/mockidp, the default entrypoint) and the demo
# app (/demoapp). Static binaries on a distroless base, run as a non-root user; the default
# tenant and its test key are compiled in, so the image needs no files to start.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mockidp ./mockidp \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/demoapp ./demoapp \
 && mkdir -p /out/ca

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mockidp /out/demoapp /
# The local CA's directory for an https issuer (docker-compose.https.yml). A new named volume
# mounted here takes this directory's owner, so the non-root emulator can make its CA in it.
COPY --from=build --chown=nonroot:nonroot /out/ca /ca
USER nonroot:nonroot
EXPOSE 4000 4443 3000
ENTRYPOINT ["/mockidp"]
