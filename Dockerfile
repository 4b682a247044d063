# onymousd's container image: a builder with the -dev packages, and a runtime
# with only the shared libraries and the binary. scripts/container-smoke
# builds, runs and tests it; docs/operations.md says how to deploy it.
#
#   podman build --format docker -t onymousd .
#   podman run -d -p 127.0.0.1:8080:8080 onymousd
#
# --format docker matters: podman's default OCI format drops HEALTHCHECK.
# A ccache directory lent to the build makes rebuilds fast (without it the
# build works the same, only slower):
#   podman build --format docker --volume /var/cache/onymous-container/ccache:/ccache -t onymousd .

# ---- toolchain: what the daemon's build needs (scripts/lib/common.sh lists
# the whole set; the tests, benchmarks and fuzzers are not built here).
FROM debian:bookworm AS toolchain
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config ccache \
      libboost1.81-dev libssl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev \
      libyaml-cpp-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*

# ---- builder: the onymousd target only, Release, stripped.
FROM toolchain AS builder
WORKDIR /src
COPY CMakeLists.txt ./
COPY include/ include/
COPY server/ server/
# /ccache exists only when lent with --volume; otherwise ccache stays off
# rather than filling a layer nobody keeps.
RUN set -eu; \
    if [ -d /ccache ] && [ -w /ccache ]; then \
      export CCACHE_DIR=/ccache CCACHE_MAXSIZE=2G; \
    else \
      export CCACHE_DISABLE=1; \
    fi; \
    export CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=1; \
    cmake -S /src -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DONYMOUS_BUILD_TESTS=OFF -DONYMOUS_BUILD_BENCH=OFF >/dev/null; \
    cmake --build /tmp/build --target onymousd; \
    install -D -m 0755 -s /tmp/build/onymousd /out/onymousd; \
    rm -rf /tmp/build; \
    /out/onymousd --version

# ---- runtime-base: the libraries the binary links (ldd + dpkg -S; libc6,
# libstdc++6 and libgcc-s1 are in every Debian image, libsystemd0 too but it
# is named so that it stays) and the user it runs as. A stage of its own, so that a source change does
# not repeat this apt-get.
FROM debian:bookworm AS runtime-base
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libspdlog1.10 libfmt9 libyaml-cpp0.7 libsystemd0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
      /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin onymous

# ---- the image.
FROM runtime-base
COPY --from=builder /out/onymousd /usr/local/bin/onymousd
# Mount your own over it (or over /etc/onymous, with TLS files beside it).
COPY config/container.yaml /etc/onymous/onymousd.yaml
# A fixed numeric uid, so that runAsNonRoot-style checks can verify it and
# mounted TLS files can be made readable to exactly this user.
USER 10001:10001
# The plain WebSocket listener (GET /ws). The admin endpoint (9090) listens on
# the container's loopback only, for the HEALTHCHECK: not exposed.
EXPOSE 8080/tcp
# On SIGTERM the daemon drains: idle sessions close at once, paired ones get
# shutdown.drain_timeout (8 s), below the engines' 10 s stop grace.
STOPSIGNAL SIGTERM
# The probe gives up after 3 s by itself; the engine's timeout is a backstop.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/onymousd", "--probe", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/onymousd"]
CMD ["--config", "/etc/onymous/onymousd.yaml"]
