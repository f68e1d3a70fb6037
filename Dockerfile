# MiauInv container image: a fully static binary on an empty (scratch) base.
#
#   docker build -t miauinv .
#   docker run -p 8080:8080 -v ./appdata:/appdata miauinv
#
# Build stage: the same static build as scripts/build-static (glibc with
# crt-static; SQLite, OpenSSL and aws-lc compiled in).
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends file \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/build-static \
 && mkdir -p /out/appdata \
 && cp target/x86_64-unknown-linux-gnu/release/miauinv /out/miauinv

# Final stage: the binary and an empty data directory, nothing else (no shell,
# no libc, no CA bundle: MiauInv makes no outgoing TLS connections).
FROM scratch
COPY --from=build /out/miauinv /miauinv
COPY --from=build --chown=10001:10001 /out/appdata /appdata
USER 10001:10001
# `./appdata` in the defaults resolves to /appdata from here.
WORKDIR /
ENV MIAUINV_CONFIG=/appdata/config.yaml \
    SQLITE_TMPDIR=/appdata
VOLUME ["/appdata"]
EXPOSE 8080
# scratch has no shell or curl: the binary probes itself (TLS or plain, as configured).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/miauinv", "healthcheck"]
# SIGTERM (docker stop) drains in-flight requests and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/miauinv"]
CMD ["serve"]
