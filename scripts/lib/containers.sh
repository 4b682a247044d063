# shellcheck shell=bash
# Shared by the container tests (scripts/container-smoke,
# tests/package/systemd-test, tests/package/compose-test): podman's
# configuration, the one Debian base image they all start from, cached stage
# images, and the clean-up of what a run made. Sourced after common.sh.
#
# No registry is reachable here: debian:bookworm is made with debootstrap,
# like the official image (minbase, apt lists and caches emptied, the same
# sources), once per machine (MACHINE.md, "Containers without a Docker
# engine"). Kept under $ONYMOUS_CONTAINER_CACHE between runs: the debootstrap
# tarball (a machine that lost the image imports it again in seconds), the
# base image and the tagged stage caches localhost/onymous-cache:<name>.

ONYMOUS_CONTAINER_CACHE=${ONYMOUS_CONTAINER_CACHE:-/var/cache/onymous-container}
ONYMOUS_BASE_IMAGE=localhost/debian:bookworm
ONYMOUS_CACHE_IMAGE=localhost/onymous-cache
export CONTAINERS_CONF=$ONYMOUS_ROOT/scripts/lib/containers.conf

# require_root NAME: rootful podman, apt-get and debootstrap need root.
require_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "$1: needs root (rootful podman, apt-get, debootstrap)" >&2
        exit 1
    fi
}

# podman without systemd as PID 1 cannot add its healthcheck timers and says
# so at error level on every run and stop; the checks are run by hand.
podman_quiet() {
    podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2)
}

# A free TCP port on 127.0.0.1 (the kernel's choice, released at once).
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_make_base_tarball() {
    local tarball=$1 root=$ONYMOUS_CONTAINER_CACHE/debootstrap.tmp log
    log=$(mktemp /tmp/onymous-debootstrap.XXXXXX)
    rm -rf "$root"
    log "debootstrap bookworm (once per machine)"
    if ! debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$log" 2>&1; then
        tail -20 "$log" >&2
        rm -f "$log"
        echo "debootstrap failed" >&2
        return 1
    fi
    rm -f "$log" "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/log/* "$root"/tmp/* "$root"/root/.bash_history 2>/dev/null || true
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
}

# Makes localhost/debian:bookworm unless it exists, and tags it as
# docker.io/library/debian:bookworm, which FROM debian:bookworm resolves to.
# Holds the cache lock on descriptor $container_lock_fd until
# release_container_cache: two runs must not debootstrap or retag at once.
ensure_base_image() {
    mkdir -p "$ONYMOUS_CONTAINER_CACHE"
    exec {container_lock_fd}>"$ONYMOUS_CONTAINER_CACHE/lock"
    flock "$container_lock_fd"
    if ! podman image exists "$ONYMOUS_BASE_IMAGE"; then
        local tarball=$ONYMOUS_CONTAINER_CACHE/debian-bookworm-minbase.tar
        [ -s "$tarball" ] || _make_base_tarball "$tarball"
        log "importing $ONYMOUS_BASE_IMAGE"
        podman import --quiet \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' "$tarball" "$ONYMOUS_BASE_IMAGE" >/dev/null
    fi
    podman tag "$ONYMOUS_BASE_IMAGE" docker.io/library/debian:bookworm
    printf 'base image %s: %s\n' "$ONYMOUS_BASE_IMAGE" \
        "$(podman image inspect --format '{{.Id}}' "$ONYMOUS_BASE_IMAGE" | cut -c1-12)"
}

release_container_cache() {
    flock -u "$container_lock_fd"
}

# build_cached_stage NAME LOG podman-build-arguments...: builds an image and
# moves the tag localhost/onymous-cache:NAME to it, dropping the image it
# replaced, so that its layers stay as a cache when a run's own images go.
build_cached_stage() {
    local name=$1 build_log=$2 old new
    shift 2
    old=$(podman image inspect --format '{{.Id}}' "$ONYMOUS_CACHE_IMAGE:$name" 2>/dev/null || true)
    if ! nice -n 10 podman build --format docker --pull=never --layers \
        -t "$ONYMOUS_CACHE_IMAGE:$name" "$@" >"$build_log" 2>&1; then
        tail -30 "$build_log" >&2
        echo "building the cached stage $name failed" >&2
        return 1
    fi
    new=$(podman image inspect --format '{{.Id}}' "$ONYMOUS_CACHE_IMAGE:$name")
    if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
}

# snapshot_images FILE: the image ids present now, so that
# remove_new_images FILE removes only what this run made.
snapshot_images() {
    podman images -a -q --no-trunc | sort -u >"$1"
    # An empty list would make remove_new_images skip everything: keep a line.
    echo "-" >>"$1"
}

# The images the cached stages are made of, each stage's whole parent chain:
# their intermediate images are the layer cache of the next build, so no run
# removes them.
_cache_chain() {
    local tag id
    for tag in $(podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$ONYMOUS_CACHE_IMAGE"); do
        id=$(podman image inspect --format '{{.Id}}' "$tag")
        while [ -n "$id" ]; do
            echo "sha256:${id#sha256:}"
            id=$(podman image inspect --format '{{.Parent}}' "$id" 2>/dev/null || true)
        done
    done
}

# remove_new_images FILE: this run's intermediate images, new since
# snapshot_images FILE, untagged (a tagged image is someone's; one in use by
# a container cannot be removed) and not part of a cached stage. A parent
# goes only once its children have gone: repeat.
remove_new_images() {
    local before=$1 keep id removed
    [ -s "$before" ] || return 0
    keep=$(mktemp /tmp/onymous-images-kept.XXXXXX)
    { cat "$before"; _cache_chain; } >"$keep"
    for _ in 1 2 3 4 5 6 7 8; do
        removed=0
        for id in $(podman images -a -q --no-trunc | sort -u); do
            grep -qxF "$id" "$keep" && continue
            [ "$(podman image inspect --format '{{len .RepoTags}}' "$id" 2>/dev/null)" = 0 ] || continue
            podman rmi "$id" >/dev/null 2>&1 && removed=1
        done
        [ "$removed" -eq 1 ] || break
    done
    rm -f "$keep"
}

# The onymousd package to test: the argument, else the one in dist/.
find_package() {
    local deb=${1:-}
    if [ -z "$deb" ]; then
        local found=("$ONYMOUS_ROOT"/dist/onymousd_*_amd64.deb)
        if [ ${#found[@]} -ne 1 ] || [ ! -f "${found[0]}" ]; then
            echo "no single dist/onymousd_*_amd64.deb: run scripts/package first" >&2
            return 1
        fi
        deb=${found[0]}
    fi
    [ -f "$deb" ] || { echo "$deb: no such package" >&2; return 1; }
    realpath "$deb"
}

# The names of the packages a .deb depends on (first of each alternative,
# versions dropped): what an image needs before `dpkg -i` works offline.
package_depends() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
        grep -v '^$' | sort -u | tr '\n' ' '
}

# build_onymousd_image PACKAGE TAG WORK_DIR: onymousd's image (the Dockerfile)
# with PACKAGE as the one in dist/, in a build context of its own under
# WORK_DIR (the package given may live elsewhere). Its runtime-base stage is
# kept as localhost/onymous-cache:runtime-base. Takes and releases the cache
# lock around that stage.
build_onymousd_image() {
    local deb=$1 tag=$2 context=$3/context
    mkdir -p "$context/dist" "$context/config"
    cp "$ONYMOUS_ROOT/Dockerfile" "$ONYMOUS_ROOT/.dockerignore" "$context/"
    cp "$ONYMOUS_ROOT/config/container.yaml" "$context/config/"
    cp "$deb" "$context/dist/"
    ensure_base_image
    build_cached_stage runtime-base "$3/build-runtime-base.log" \
        -f "$context/Dockerfile" --target runtime-base "$context"
    release_container_cache
    if ! nice -n 10 podman build --format docker --pull=never --layers -t "$tag" \
        -f "$context/Dockerfile" "$context" >"$3/build.log" 2>&1; then
        tail -40 "$3/build.log" >&2
        echo "podman build of $tag failed" >&2
        return 1
    fi
}
