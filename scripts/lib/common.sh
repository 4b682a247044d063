# Shared by scripts/run and scripts/test: installs what is missing (Debian 12
# packages only) and configures/builds a tree. Sourced, not run.

ONYMOUS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything the build and the tests need, from Debian 12.
ONYMOUS_PACKAGES=(
  g++ cmake ninja-build ccache pkg-config openssl
  libboost1.81-dev libssl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libyaml-cpp-dev catch2 libbenchmark-dev clang-format-14
  clang-14 libclang-rt-14-dev  # the libFuzzer targets (build/fuzz, tests/fuzz/)
  coturn  # tests/e2e/turn_test.cpp and tests/web: turnserver and turnutils_uclient
  libsystemd-dev  # sd_notify and socket activation
  libhiredis-dev redis-server  # cluster mode's Redis client (server/redis/) and its tests (tests/redis/)
  systemd man-db  # systemd-analyze for scripts/check-systemd (verify runs man on Documentation=)
  chromium  # tests/web: the browser tests
  build-essential debhelper dpkg-dev lintian  # scripts/package: the Debian package
  podman buildah runc debootstrap catatonit  # the container tests (scripts/lib/containers.sh)
  python3-websockets  # their WebSocket clients (scripts/lib/*.py, run by /usr/bin/python3)
)

# Node.js >= 20 and npm run the web client's tests (tests/web). Debian's npm
# conflicts with a Node installed from elsewhere, so npm is only installed
# from Debian when there is no npm at all.
install_node_when_missing() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  install_missing_packages nodejs npm
}

# The sanitizer trees: -O1 and line tables only (enough for symbolised
# reports) compile Beast several times faster than -O2 -g on two cores.
ONYMOUS_SANITIZER_FLAGS=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")

# Let ccache share objects between clones in different folders (CI builds a
# fresh clone each time); debug info then names the first clone's paths.
export CCACHE_BASEDIR="$ONYMOUS_ROOT" CCACHE_NOHASHDIR=1

log() { printf '\n==> %s\n' "$*"; }

# Installs the packages of ONYMOUS_PACKAGES (and any given) that are missing.
install_missing_packages() {
  install_packages_if_missing "${ONYMOUS_PACKAGES[@]}" "$@"
}

# Installs those of the given packages that are missing.
install_packages_if_missing() {
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  log "installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build BUILD_DIR BUILD_TYPE [extra cmake args...] -- [targets...]
configure_and_build() {
  local dir=$1 type=$2
  shift 2
  local cmake_args=() targets=()
  while (($#)) && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
  if (($#)); then shift; targets=("$@"); fi
  cmake -S "$ONYMOUS_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${cmake_args[@]}" >/dev/null
  cmake --build "$dir" ${targets:+--target "${targets[@]}"}
}

# Fails, naming the files, when a tracked C++ file is not formatted as
# .clang-format says (run scripts/format to fix).
check_formatting() {
  local unformatted=() file
  while IFS= read -r file; do
    if ! clang-format-14 --dry-run -Werror "$ONYMOUS_ROOT/$file" >/dev/null 2>&1; then
      unformatted+=("$file")
    fi
  done < <(git -C "$ONYMOUS_ROOT" ls-files '*.cpp' '*.hpp')
  if ((${#unformatted[@]})); then
    printf 'not formatted (run scripts/format): %s\n' "${unformatted[@]}" >&2
    return 1
  fi
}

# Prints how long the named stage took (CI's budget is 90 minutes).
stage_started=$SECONDS
stage_done() {
  printf '==> %s took %ds\n' "$1" $((SECONDS - stage_started))
  stage_started=$SECONDS
}
