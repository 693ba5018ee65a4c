# shellcheck shell=bash
# Part of CI (proof/ci/run): the host machine, Debian 12 or 13, as root: its packages, its
# engine, which builds CI's images, arm64 emulation, and what the run reads from it.

# Debian's client, first on PATH, builds with BuildKit: 20.10's (Debian 12) through the
# engine's own, 26's (Debian 13) through docker-buildx. The newer client these machines
# have elsewhere lacks buildx and would fall back to the legacy builder.
CLIENT_DIR=/opt/ci-docker/bin

# The CI user's Python is Debian's (root's may be unreadable to it): it needs venv. From
# Debian 13 on, the client and buildx come in packages of their own, which docker.io only
# recommends; 12 has neither package.
install_packages() {
  local packages=(docker.io debootstrap qemu-user-static python3-venv) package
  if installed; then
    return
  fi
  apt-get update -qq
  for package in docker-cli docker-buildx; do
    if apt-cache show "$package" >/dev/null 2>&1; then
      packages+=("$package")
    fi
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
}

installed() {
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null && command -v debootstrap >/dev/null &&
    [ -x /usr/bin/qemu-aarch64-static ] && /usr/bin/python3 -c 'import ensurepip' 2>/dev/null &&
    { [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || ! apt-cache show docker-buildx >/dev/null 2>&1; }
}

# The kernel runs linux/arm64 programs with qemu as the line Debian gives for binfmt.d
# (12 and 13 alike) registers it: its F flag makes the kernel open the emulator once, so
# that containers, which cannot see it, find it too. What registered it before may not
# have set that flag.
enable_arm64_emulation() {
  local binfmt=/proc/sys/fs/binfmt_misc
  [ -f "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
  if grep -qs '^flags: .*F' "$binfmt/qemu-aarch64"; then
    return
  fi
  [ ! -f "$binfmt/qemu-aarch64" ] || echo -1 >"$binfmt/qemu-aarch64"
  grep '^:' /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register"
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
