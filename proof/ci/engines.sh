# shellcheck shell=bash
# Part of CI (proof/ci/run): the engines the tests run on, each in a container of its own
# with its data on the host, and the CI user who runs the tests there.

# The engines' data is cache, and bounded: each run starts by dropping the least
# recently used build cache beyond a cap, and more until the disk has room for a run
# (what one adds at its peak, with a margin).
CACHE_CAP=40GB
RUN_NEEDS_GB=20
# CI's engines: ENGINE_RELEASE, ENGINE_PACKAGES and TOOL_PACKAGES.
# shellcheck disable=SC1091 # a file of its own, which the proof workflow reads too
source "$CI_FILES/engine-packages"
# Options each engine's dockerd starts with: multi-platform images and the publish
# path need the containerd image store; the floor runs as Debian ships it.
declare -A ENGINE_DOCKERD=([current]="--feature containerd-snapshotter=true" [floor]="")
# The engines container runs engines of its own: every capability but one the VM
# withholds (so not --privileged), fuse and tun for rootless Podman, and the cgroups.
ENGINES_RUN_ARGS=(
  --cap-add ALL --cap-drop SYS_RESOURCE
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --security-opt systempaths=unconfined
  --device /dev/fuse --device /dev/net/tun
  --volume /sys/fs/cgroup:/sys/fs/cgroup:rw
)

engine_container() {
  echo "minimal-py-poetry-ci-$1"
}

# An engine's image, tagged with the hash of what it is built from, so that a change
# builds it anew and replaces the older one; ENGINE_IMAGE names it.
build_engine_image() {
  local engine=$1 context tag
  tag=$(echo "${ENGINE_RELEASE[$engine]} ${ENGINE_PACKAGES[$engine]} $TOOL_PACKAGES" |
    cat "$CI_FILES/engines.Dockerfile" - | sha256sum | cut -c 1-12)
  ENGINE_IMAGE[$engine]=$CI_IMAGES/engine-$engine:$tag
  if docker image inspect "${ENGINE_IMAGE[$engine]}" >/dev/null 2>&1; then
    return
  fi
  docker images --format '{{.Repository}}:{{.Tag}}' "$CI_IMAGES/engine-$engine" | xargs -r docker rmi --force >/dev/null
  context=$(mktemp -d -p "$STATE")
  ln "$(debian_rootfs "${ENGINE_RELEASE[$engine]}" amd64 ca-certificates)" "$context/rootfs.tar"
  docker build --quiet --file "$CI_FILES/engines.Dockerfile" \
    --build-arg PACKAGES="${ENGINE_PACKAGES[$engine]} $TOOL_PACKAGES" \
    --tag "${ENGINE_IMAGE[$engine]}" "$context" >/dev/null
  rm -rf "$context"
}

declare -A ENGINE_IMAGE=()

# A copy of the repository for each engine's run, owned by the CI user.
prepare_user() {
  if ! id "$CI_USER" >/dev/null 2>&1; then
    useradd --create-home --uid "$CI_UID" --groups docker "$CI_USER"
  fi
  local copy
  for copy in "${!ENGINE_RELEASE[@]}"; do
    rm -rf "${CI_HOME:?}/$copy"
    cp -a "$REPO" "$CI_HOME/$copy"
    chown -R "$CI_USER:$CI_USER" "$CI_HOME/$copy"
  done
}

# An engine's container, with its Docker Engine started in it and the CI user ready
# for rootless Podman. Its Docker data lives on the host, between runs.
start_engine() {
  local engine=$1 container
  container=$(engine_container "$engine")
  build_engine_image "$engine"
  docker rm --force "$container" >/dev/null 2>&1 || true
  mkdir -p "$STATE/docker-$engine"
  docker run --detach --name "$container" "${ENGINES_RUN_ARGS[@]}" \
    --volume "$STATE/docker-$engine:/var/lib/docker" --volume "$CI_HOME:$CI_HOME" \
    "${ENGINE_IMAGE[$engine]}" >/dev/null
  # shellcheck disable=SC2086 # one word per option
  docker exec "$container" bash "$CI_HOME/$engine/proof/ci/engines-setup" "$CI_USER" "$CI_UID" \
    ${ENGINE_DOCKERD[$engine]}
  make_room "$engine"
  load_base_images "$engine"
}

stop_engines() {
  local engine
  for engine in "${!ENGINE_RELEASE[@]}"; do
    docker rm --force "$(engine_container "$engine")" >/dev/null 2>&1 || true
  done
}

free_gb() {
  df --output=avail --block-size=1G "$STATE" | tail -n 1 | tr -d ' '
}

# An engine's build cache (the host's is trimmed once, after CI's images): Docker's
# images go too (each run loads its bases and builds its own); Podman keeps the layers
# of tagged images, its cache, and drops the untagged ones and the working containers
# of builds that were cut short.
make_room() {
  local engine=$1 container
  container=$(engine_container "$engine")
  docker exec "$container" docker image prune --all --force >/dev/null
  if [ "$engine" = current ]; then
    in_engine current podman system prune --force --build >/dev/null
    docker exec "$container" docker builder prune --all --force \
      --max-used-space "$CACHE_CAP" --min-free-space "${RUN_NEEDS_GB}GB" >/dev/null
  else
    # The oldest engine's buildx knows this option alone.
    docker exec "$container" docker builder prune --all --force --keep-storage "$CACHE_CAP" >/dev/null
  fi
  # With the containerd store, what the cache holds on disk can exceed what the limits
  # count: short of room, the engine's whole build cache goes.
  if (($(free_gb) < RUN_NEEDS_GB)); then
    docker exec "$container" docker builder prune --all --force >/dev/null
  fi
}

# After every engine's make_room: one engine's cache may hold what another needs.
check_room() {
  if (($(free_gb) < RUN_NEEDS_GB)); then
    echo "a run needs ${RUN_NEEDS_GB} GB free on the disk of $STATE; it has $(free_gb) GB" \
      "with CI's caches trimmed: free space there" >&2
    exit 1
  fi
}

# The base images, from the host's engine into an engine's Docker (and the CI user's
# Podman in the current one), under their official names there.
load_base_images() {
  local engine=$1 container image
  container=$(engine_container "$engine")
  docker save "${!OFFICIAL[@]}" | docker exec -i "$container" docker load --quiet >/dev/null
  for image in "${!OFFICIAL[@]}"; do
    docker exec "$container" docker tag "$image" "${OFFICIAL[$image]}"
  done
  if [ "$engine" = current ]; then
    docker exec "$container" bash -c 'docker save "${@:2}" | setpriv --reuid="$0" --regid="$0" \
      --init-groups env HOME="$1" XDG_RUNTIME_DIR="/run/user/$0" PODMAN_IGNORE_CGROUPSV1_WARNING=1 \
      podman load --quiet' "$CI_UID" "$CI_HOME" "${OFFICIAL[@]}" >/dev/null
  fi
}

# in_engine ENGINE COMMAND...: in an engine's container, as the CI user, in its copy.
in_engine() {
  local engine=$1
  shift
  docker exec --workdir "$CI_HOME/$engine" \
    --env POETRY_PYPI_MIRROR_URL --env ARM64_PYTHON_IMAGE="${OFFICIAL[$ARM64_PYTHON_IMAGE]}" \
    --env CI --env PODMAN_IGNORE_CGROUPSV1_WARNING=1 "$(engine_container "$engine")" \
    setpriv --reuid="$CI_UID" --regid="$CI_UID" --init-groups \
    env HOME="$CI_HOME" USER="$CI_USER" XDG_RUNTIME_DIR="/run/user/$CI_UID" "$@" </dev/null
}
