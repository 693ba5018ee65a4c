# shellcheck shell=bash
# Part of CI (proof/ci/run): the host machine, Debian 12 or 13, as root: its packages, its
# engine, which builds CI's images, arm64 emulation, and what the run reads from it.

# Debian's 20.10 client drives the engine's built-in BuildKit; the newer client on
# these machines lacks buildx and would fall back to the legacy builder.
CLIENT_DIR=/opt/ci-docker/bin

# The CI user's Python is Debian's (root's may be unreadable to it): it needs venv.
install_packages() {
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null &&
    [ -x /usr/bin/qemu-aarch64-static ] && /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
    return
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io debootstrap qemu-user-static python3-venv >/dev/null
}

# Debian registers qemu through a wrapper that containers cannot see; the F flag makes
# the kernel open the static emulator once, so linux/arm64 containers find it too.
enable_arm64_emulation() {
  local binfmt=/proc/sys/fs/binfmt_misc magic mask
  [ -f "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
  if grep -qs '^flags: .*F' "$binfmt/qemu-aarch64"; then
    return
  fi
  [ ! -f "$binfmt/qemu-aarch64" ] || echo -1 >"$binfmt/qemu-aarch64"
  magic=$(awk '$1 == "magic" {print $2}' /usr/share/binfmts/qemu-aarch64)
  mask=$(awk '$1 == "mask" {print $2}' /usr/share/binfmts/qemu-aarch64)
  echo ":qemu-aarch64:M::$magic:$mask:/usr/bin/qemu-aarch64-static:FPC" >"$binfmt/register"
}

use_buildkit_client() {
  mkdir -p "$CLIENT_DIR"
  ln -sf /usr/bin/docker "$CLIENT_DIR/docker"
  export PATH="$CLIENT_DIR:$PATH" DOCKER_BUILDKIT=1
}

start_host_engine() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  "$CI_FILES/start-dockerd"
}

# This network serves PyPI's simple index only; Poetry reaches it through the mirror
# plugin, pointed at whatever index pip is configured with.
set_mirror() {
  POETRY_PYPI_MIRROR_URL=$(python3 -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')
  export POETRY_PYPI_MIRROR_URL
}

# The proof's Copier test updates a copy of the previous release, which a shallow
# clone lacks.
full_history() {
  if [ "$(git -C "$REPO" rev-parse --is-shallow-repository)" = true ]; then
    git -C "$REPO" fetch --quiet --unshallow
  fi
}
