# shellcheck shell=bash
# Part of CI (proof/ci/run): what each phase runs, in which engine, from the test commands
# the READMEs give.

phase() {
  local name=$1 start=$SECONDS
  shift
  echo "::: ${name}"
  "$@"
  echo "::: ${name}: $((SECONDS - start)) s, $(free_gb) GB free on the disk"
}

# The first line of the code block a README names in its fence (```sh {#MARK}).
readme_command() {
  awk -v mark="{#$2}" '/^```/ {named = !named && index($0, mark); next} named {print; exit}' \
    "$REPO/$1"
}

test_command() {
  readme_command README.md test
}

proof_command() {
  readme_command proof/README.md proof
}

# The service's own test command first, on the oldest engine: it fails fastest.
service_tests_on_the_floor() {
  in_engine floor bash -c "$(test_command)"
}

tests_on_current_docker() {
  in_engine current bash -c "$(test_command) && $(proof_command)"
}

# Rootless Podman, and the publish path: a registry, skopeo and Podman pulling.
tests_on_rootless_podman_and_publish() {
  in_engine current bash -c "$(proof_command) -m 'podman or publish'"
}

# The proof's `floor` engine tests, what the oldest engine must build and run, and the
# real apps brought into copies, as a team on that engine brings its own.
proof_on_the_floor() {
  in_engine floor bash -c "$(proof_command) -m 'floor or apps'"
}

# `.ci/run bench [COMMIT]`, in place of the tests: the speed bench (proof/README.md) on
# each engine, on the default Python's stand-in and on a Debian 12 base with Python 3.11,
# with COMMIT's dev container beside this one's. Each table goes to stdout.
bench_everywhere() {
  local baseline=${1:-} engine base debian12=minimal-py-poetry-bench/debian12-python
  for engine in floor current; do
    in_engine "$engine" bash -c 'python3 -m venv proof/.venv &&
      proof/.venv/bin/pip install --quiet --requirement proof/requirements.txt'
    in_engine "$engine" docker build --quiet --tag "$debian12" \
      --file "${DISTRO_DOCKERFILE#"$REPO/"}" "$(dirname "${DISTRO_DOCKERFILE#"$REPO/"}")" >/dev/null
    for base in "${OFFICIAL[$PYTHON_IMAGE]}" "$debian12"; do
      # Each run's cold builds leave gigabytes of cache, which the next run never reads.
      docker exec "$(engine_container "$engine")" docker builder prune --all --force >/dev/null
      echo "### $engine engine, $base"
      in_engine "$engine" env PYTHON_IMAGE="$base" BASELINE="$baseline" proof/bench/run speed
    done
  done
}

# The host's steps on a fresh Debian 13, since a new machine of this kind may have either
# release: in a container of a Debian 13 rootfs, with the engines' rights and its own
# Docker data, `proof/ci/run debian13-host` runs them.
host_steps_on_debian13() {
  local image=$CI_IMAGES/debian13-host data=$STATE/debian13-host
  build_debian_image "$image" trixie linux/amd64 ca-certificates
  rm -rf "$data"
  mkdir -p "$data"
  docker run --rm "${ENGINES_RUN_ARGS[@]}" --volume "$REPO:/repo:ro" \
    --volume "$data:/var/lib/docker" "$image" bash /repo/proof/ci/run debian13-host
  rm -rf "$data"
}

# In that container: the host's packages and engine, a rootfs archive and its image, as the
# host makes them, and a build with a cache mount, which only BuildKit runs.
debian13_host() {
  install_packages
  use_buildkit_client
  start_host_engine
  build_debian_image "$CI_IMAGES/debian13-check" trixie linux/amd64 ca-certificates
  printf '%s\n' "FROM $CI_IMAGES/debian13-check" 'RUN --mount=type=cache,target=/cache true' |
    docker build --quiet - >/dev/null
}
