# esimbot: one static binary, one data file.
#
#   docker build -t esimbot .
#   docker run -d --name esimbot -v esimbot-data:/data \
#     -e TELEGRAM_BOT_TOKEN=123456:ABC... \
#     -e RESELLER_API_URL=https://reseller.example.com/api/v1 \
#     -e RESELLER_USERNAME=... -e RESELLER_PASSWORD=... esimbot

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/esimbot ./cmd/esimbot \
 && mkdir -p /out/data

# distroless/static: CA certificates and a non-root user, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/esimbot /usr/local/bin/esimbot
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV ESIMBOT_DB=/data/esimbot.db \
    ESIMBOT_LISTEN=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/esimbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/esimbot"]
CMD ["run"]
