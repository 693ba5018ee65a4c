# shellcheck shell=bash disable=SC2034 # OFFICIAL, which engines.sh and phases.sh read
# Part of CI (proof/ci/run): the stand-ins for the images the tests name, built in the
# host's engine under CI's names, and the names each stands in for.

# The Debian release whose python3 is each Python version the base images need.
declare -A DEBIAN_RELEASE=([3.11]=bookworm [3.13]=trixie [3.14]=forky [3.15]=sid)
# The Debian image the distro-Python test builds on: its default names it.
DISTRO_DOCKERFILE=$REPO/proof/engine/distro-base.Dockerfile

default_image() {
  awk '$1 == "FROM" && $2 ~ /^python:/ {print $2; exit}' "$REPO/Dockerfile"
}

debian_release_of() {
  local release=${DEBIAN_RELEASE[$1]:-}
  [ -n "$release" ] || {
    echo "no Debian release with Python $1 is known to CI:" \
      "add it to DEBIAN_RELEASE in proof/ci/images.sh" >&2
    exit 1
  }
  echo "$release"
}

# The stand-ins for the images of services README's snippets name (postgres:17, redis:8),
# each built from the Debian release that has that version and CI's recipe beside this
# script (NAME.Dockerfile, NAME-*), and labelled with both, so that a changed one builds
# it anew.
declare -A SERVICE_RELEASE=([postgres:17]=trixie [redis:8]=trixie)
declare -A SERVICE_PACKAGES=([postgres]=postgresql-VERSION [redis]="redis-server ca-certificates")
service_image() {
  grep -oE "image: \"?$1:[^\",} ]+" "$REPO/README.md" | head -n 1 | sed -E 's/^image: "?//'
}

build_service_image() {
  local image=$1 name=${1%%:*} version=${1#*:} release packages archive label context
  release=${SERVICE_RELEASE[$image]:-}
  [ -n "$release" ] || {
    echo "no Debian release with $image is known to CI:" \
      "add it to SERVICE_RELEASE in proof/ci/images.sh" >&2
    exit 1
  }
  packages=${SERVICE_PACKAGES[$name]//VERSION/$version}
  archive=$(debian_rootfs "$release" amd64 "${packages// /,}")
  label=$(basename "$archive")-$(cat "$CI_FILES/$name"* | cksum | cut -d " " -f 1)
  if labelled "$CI_IMAGES/$image" "$label"; then
    return
  fi
  context=$(mktemp -d -p "$STATE")
  ln "$archive" "$context/rootfs.tar"
  find "$CI_FILES" -maxdepth 1 -name "$name-*" -exec cp {} "$context/" \;
  docker build --quiet --file "$CI_FILES/$name.Dockerfile" --build-arg VERSION="$version" \
    --label ci.rootfs="$label" --tag "$CI_IMAGES/$image" "$context" >/dev/null
  rm -rf "$context"
}

# BuildKit's default SBOM generator, which deploy/publish's builds run: an image from
# Docker Hub. CI's stand-in (ci/sbom-scanner.py) is built on the Python stand-in.
SBOM_SCANNER=docker/buildkit-syft-scanner:stable-1
build_sbom_scanner() {
  local tag=$1 base=$2
  docker build --quiet --file "$CI_FILES/sbom-scanner.Dockerfile" --build-arg BASE="$base" \
    --tag "$tag" "$CI_FILES" >/dev/null
}

# Stand-ins, under CI's names, for the Dockerfile's default image (amd64, and arm64
# under a name of its own: one tag holds one platform on the host's 20.10), for the
# Debian image that the distro-Python test builds on and for the service images README
# names, and the engines' images, built side by side: on a fresh machine each is mostly
# a wait on Debian's archive or, for arm64, on emulation; then the SBOM generator's, on
# the Python one. OFFICIAL maps each stand-in to the name it stands in for, which only
# CI's own engines give it.
declare -A OFFICIAL=()
build_images() {
  local image version release packages distro service services=() pids=() pid
  image=$(default_image)
  version=$(echo "$image" | sed -E 's/^python:([0-9]+\.[0-9]+).*/\1/')
  release=$(debian_release_of "$version")
  packages=python$version,python$version-venv,ca-certificates
  PYTHON_IMAGE=$CI_IMAGES/$image
  ARM64_PYTHON_IMAGE=$CI_IMAGES/python:$version-arm64
  distro=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$DISTRO_DOCKERFILE")
  build_debian_image "$PYTHON_IMAGE" "$release" linux/amd64 "$packages" pip &
  pids+=($!)
  build_debian_image "$ARM64_PYTHON_IMAGE" "$release" linux/arm64 "$packages" &
  pids+=($!)
  build_debian_image "$CI_IMAGES/$distro" "$(echo "${distro#*:}" | cut -d- -f1)" linux/amd64 ca-certificates &
  pids+=($!)
  for service in postgres redis; do
    services+=("$(service_image "$service")")
    build_service_image "${services[-1]}" &
    pids+=($!)
  done
  build_engine_image floor &
  pids+=($!)
  build_engine_image current &
  pids+=($!)
  for pid in "${pids[@]}"; do
    wait "$pid"
  done
  build_sbom_scanner "$CI_IMAGES/sbom-scanner" "$PYTHON_IMAGE"
  docker builder prune --force --keep-storage "$CACHE_CAP" >/dev/null
  OFFICIAL=([$PYTHON_IMAGE]=$image [$ARM64_PYTHON_IMAGE]=$ARM64_PYTHON_IMAGE [$CI_IMAGES/$distro]=$distro
    [$CI_IMAGES/sbom-scanner]=$SBOM_SCANNER)
  for service in "${services[@]}"; do
    OFFICIAL[$CI_IMAGES/$service]=$service
  done
}
