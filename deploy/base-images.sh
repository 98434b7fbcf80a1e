#!/usr/bin/env bash
# Creates, from Debian's packages, the base images the Dockerfiles under deploy/ name, for a
# Docker engine that cannot pull (no registry). On a machine with a registry this is not needed:
# the same Dockerfiles pull the upstream images.
#
#   debian:bookworm-slim                  debootstrap --variant=minbase bookworm, imported
#   gcr.io/distroless/cc-debian12:nonroot only what a glibc program needs to run: the loader,
#                                         libc, libm, libgcc_s (from libc6 and libgcc-s1), the CA
#                                         bundle (from ca-certificates) and the nonroot user 65532
#
# The second is slimmer than the upstream image of that name (which also carries libssl,
# libstdc++ and tzdata): the service links none of them. Images that exist already are kept
# (FORCE=1 rebuilds them). Needs root (debootstrap), docker and apt.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have() { docker image inspect "$1" >/dev/null 2>&1 && [ "${FORCE:-0}" != 1 ]; }

if have debian:bookworm-slim; then
  echo "base-images: debian:bookworm-slim exists"
else
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  echo "base-images: debootstrap bookworm (minbase) ..."
  debootstrap --variant=minbase bookworm "$work/slim" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # As the upstream slim image: no apt caches, no docs, no man pages.
  rm -rf "$work/slim"/var/cache/apt/archives/*.deb "$work/slim"/var/lib/apt/lists/* \
    "$work/slim"/usr/share/doc/* "$work/slim"/usr/share/man/*
  tar -C "$work/slim" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  echo "base-images: debian:bookworm-slim imported"
fi

if have gcr.io/distroless/cc-debian12:nonroot; then
  echo "base-images: gcr.io/distroless/cc-debian12:nonroot exists"
else
  echo "base-images: gcr.io/distroless/cc-debian12:nonroot from libc6, libgcc-s1, ca-certificates ..."
  (cd "$work" && apt-get download libc6 libgcc-s1 ca-certificates >/dev/null 2>&1) \
    || { apt-get update -qq && (cd "$work" && apt-get download libc6 libgcc-s1 ca-certificates >/dev/null); }
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/pkgs"; done
  root="$work/cc"
  lib=lib/x86_64-linux-gnu
  mkdir -p "$root/$lib" "$root/lib64" "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
  for so in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libgcc_s.so.1; do
    cp -L "$work/pkgs/usr/$lib/$so" "$root/$lib/$so" 2>/dev/null || cp -L "$work/pkgs/$lib/$so" "$root/$lib/$so"
  done
  ln -s "/$lib/ld-linux-x86-64.so.2" "$root/lib64/ld-linux-x86-64.so.2"
  # The bundle update-ca-certificates would write: every certificate the package ships.
  find "$work/pkgs/usr/share/ca-certificates" -name '*.crt' | sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  chown 65532:65532 "$root/home/nonroot"
  tar -C "$root" -c . | docker import -c 'USER 65532:65532' -c 'WORKDIR /home/nonroot' \
    -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' - gcr.io/distroless/cc-debian12:nonroot >/dev/null
  echo "base-images: gcr.io/distroless/cc-debian12:nonroot imported"
fi
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(debian:bookworm-slim|gcr.io/distroless/cc-debian12:nonroot) '
