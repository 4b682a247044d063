# onymousd's container image: the Debian package (scripts/package) installed
# on Debian 12, the same binary, web client and files that `apt install`
# gives a host. Nothing is compiled here. scripts/container-smoke builds,
# runs and tests it; docs/operations.md says how to deploy it.
#
#   scripts/package --no-lintian      # dist/onymousd_<version>_amd64.deb
#   podman build --format docker -t onymousd .
#   podman run -d -p 127.0.0.1:8080:8080 onymousd
#
# Without a Debian 12 host to build the package on, build it in a container
# from the source tree first (scripts/package installs what it needs;
# docs/operations.md, "In a container"):
#   podman run --rm -v "$PWD:/src" -w /src docker.io/library/debian:bookworm scripts/package --no-lintian
#
# --format docker matters: podman's default OCI format drops HEALTHCHECK.

# ---- runtime-base: what the package depends on (dpkg-deb -f
# dist/onymousd_*.deb Depends; `dpkg -i` below fails if this list falls
# behind) and the user the container runs as. A stage of its own, so that a
# new package does not repeat this apt-get.
FROM debian:bookworm AS runtime-base
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libspdlog1.10 libfmt9 libyaml-cpp0.7 libsystemd0 libhiredis0.14 ssl-cert procps \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
      /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin onymous

# ---- the image.
FROM runtime-base
COPY dist/onymousd_*_amd64.deb /tmp/
# The image serves plain HTTP (TLS ends at a proxy in front): the self-signed
# certificate that ssl-cert and the package make for a host's first start
# would only put one private key into every copy of the image.
RUN dpkg -i /tmp/onymousd_*_amd64.deb \
 && rm -f /tmp/onymousd_*_amd64.deb /etc/ssl/certs/ssl-cert-snakeoil.pem \
      /etc/ssl/private/ssl-cert-snakeoil.key /var/log/dpkg.log \
 && /usr/sbin/onymousd --version
# Serves the web client of /usr/share/onymous/web and /ws on 8080. Mount your
# own file over it (or over /etc/onymous, with TLS files beside it).
COPY config/container.yaml /etc/onymous/onymousd.yaml
# A fixed numeric uid, so that runAsNonRoot-style checks can verify it and
# mounted TLS files can be made readable to exactly this user.
USER 10001:10001
# The plain listener: the chat page (GET /) and the WebSocket (GET /ws). The
# admin endpoint (9090) listens on the container's loopback only, for the
# HEALTHCHECK: not exposed.
EXPOSE 8080/tcp
# On SIGTERM the daemon drains: idle sessions close at once, paired ones get
# shutdown.drain_timeout (7 s here), below the engines' 10 s stop grace.
STOPSIGNAL SIGTERM
# The probe gives up after 3 s by itself; the engine's timeout is a backstop.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/sbin/onymousd", "--probe", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/sbin/onymousd"]
CMD ["--config", "/etc/onymous/onymousd.yaml"]
