# shellcheck shell=bash
# Part of CI (proof/ci/run): Debian rootfs archives from Debian's archive, made once per
# machine, and images of them in the host's engine.

# The machine's Debian mirror, from its sources in either format (a rootfs that
# debootstrap makes has the older one).
debian_mirror() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources | head -n 1
  else
    awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list
  fi
}

# debootstrap knows a release by a script of its name; testing releases use sid's.
debootstrap_script() {
  local script=/usr/share/debootstrap/scripts/$1
  [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
  echo "$script"
}

# The official images hold Python's headers, for dependencies built from source, and
# no C library headers: the headers alone, from the release's package of them.
python_headers() {
  local root=$1 python=$2
  chroot "$root" bash -c "cd /tmp && apt-get download --quiet=2 lib$python-dev"
  dpkg-deb --fsys-tarfile "$root"/tmp/lib"$python"-dev_*.deb |
    tar -x -C "$root" --wildcards "./usr/include/*$python*"
  rm "$root"/tmp/lib"$python"-dev_*.deb "$root"/var/cache/apt/*.bin
}

# A Debian rootfs archive from the archive, made once per machine: no registry is
# reachable. It trusts the proxy's CA from the host bundle. Its name changes with the
# packages and with the recipe below.
debian_rootfs() {
  local archive release=$1 arch=$2 packages=$3 root python recipe
  recipe=$(declare -f debian_rootfs python_headers | cksum | cut -d " " -f 1)
  archive=$STATE/rootfs/$release-$arch-$(echo "$packages" | cksum | cut -d " " -f 1)-$recipe.tar
  if [ ! -f "$archive" ]; then
    root=$(mktemp -d)
    debootstrap --arch="$arch" --variant=minbase --include="$packages" \
      "$release" "$root" "$(debian_mirror)" "$(debootstrap_script "$release")" >/dev/null
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    # The Python version a rootfs installs by name is its python3, as in the official
    # images, whatever the release's default python3 is.
    python=$(grep -o 'python3\.[0-9]*' <<<"$packages" | head -n 1 || true)
    [ -z "$python" ] || ln -sf "$python" "$root/usr/bin/python3"
    [ -z "$python" ] || python_headers "$root" "$python"
    # This mirror's copies of Debian testing and unstable carry expired Release files.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99ci-mirror"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    mkdir -p "$(dirname "$archive")"
    tar -C "$root" -cf "$archive.new" .
    mv "$archive.new" "$archive"
    rm -rf "$root"
  fi
  echo "$archive"
}

# Whether the host's engine has image TAG, built from what LABEL names.
labelled() {
  [ "$(docker image inspect --format '{{index .Config.Labels "ci.rootfs"}}' "$1" 2>/dev/null)" = "$2" ]
}


# The official images' pip: system-wide, outside the distribution's care, from the wheel
# the venv module bundles (Debian's ensurepip refuses the system Python).
# shellcheck disable=SC2016 # a Dockerfile line, which the build's shell expands
OFFICIAL_PIP='RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && wheel=$(ls /usr/share/python-wheels/pip-*.whl) \
  && python3 "$wheel/pip" install --quiet --no-index --root-user-action=ignore "$wheel"'

# An image of a rootfs archive in the host's engine, labelled with the archive's name, so
# that another package list makes another image. FROM scratch keeps the platform, which
# `docker import` would record as the host's. With "pip" last, the image has the official
# images' pip; the arm64 stand-in has none, so that the tests build on such a base too.
build_debian_image() {
  local tag=$1 release=$2 platform=$3 packages=$4 pip=${5:-} context archive label
  archive=$(debian_rootfs "$release" "${platform#linux/}" "$packages")
  label=$(basename "$archive")${pip:+-$(echo "$OFFICIAL_PIP" | cksum | cut -d " " -f 1)}
  if labelled "$tag" "$label"; then
    return
  fi
  context=$(mktemp -d -p "$STATE")
  ln "$archive" "$context/rootfs.tar"
  printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' "LABEL ci.rootfs=$label" \
    'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
    'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    ${pip:+"$OFFICIAL_PIP"} 'CMD ["bash"]' >"$context/Dockerfile"
  docker build --quiet --platform "$platform" --tag "$tag" "$context" >/dev/null
  rm -rf "$context"
}
