#!/usr/bin/env bash
# Installs a released secret-preflight binary, verified.
#
#   scripts/install.sh --version v1.2.3 --dest DIR
#                      [--base-url URL] [--cache-dir DIR] [--os OS] [--arch ARCH]
#
# It downloads checksums.txt and secret-preflight_1.2.3_OS_ARCH.tar.gz
# (.zip on Windows) from BASE-URL, the release's download directory
# (default https://github.com/secret-preflight/secret-preflight/releases/download/v1.2.3),
# checks the archive's SHA-256 against its line in checksums.txt BEFORE
# anything is extracted, and only then puts DIR/secret-preflight (.exe on
# Windows) in place. Any failure (no such release or asset, no line for the
# asset, a different checksum) exits 1 with a ::error:: annotation and
# leaves no binary at DIR: it never falls back to anything else.
#
# --cache-dir keeps the downloaded archive for the next run (the Action
# saves it with actions/cache). checksums.txt is always fetched fresh, so a
# cached archive is verified like a downloaded one.
#
# OS and ARCH default to the runner's (RUNNER_OS, RUNNER_ARCH), else uname.
# Runs on bash 3.2 (macOS) and Git Bash (Windows) too.
set -euo pipefail

fail() {
  # Only text this script chose or checked reaches the annotation: nothing
  # a server sent is printed, so no response can form a workflow command.
  echo "::error title=secret-preflight install::$*" >&2
  exit 1
}

version="" base_url="" dest="" cache_dir="" os="" arch=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="${2:-}"; shift 2 ;;
    --base-url) base_url="${2:-}"; shift 2 ;;
    --dest) dest="${2:-}"; shift 2 ;;
    --cache-dir) cache_dir="${2:-}"; shift 2 ;;
    --os) os="${2:-}"; shift 2 ;;
    --arch) arch="${2:-}"; shift 2 ;;
    *) fail "install.sh: unknown argument (see the usage at the top of scripts/install.sh)" ;;
  esac
done

# A release version: v1.2.3 or 1.2.3, with an optional pre-release suffix.
# Anything else is refused before it is used in a URL or printed.
if [[ ! "${version}" =~ ^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  fail "the version must be a release such as v1.2.3 (a major tag like v1 or a branch is not a release)"
fi
tag="v${version#v}"
number="${version#v}"
if [[ -z "${dest}" ]]; then fail "install.sh: --dest is required"; fi
if [[ -z "${base_url}" ]]; then
  base_url="https://github.com/secret-preflight/secret-preflight/releases/download/${tag}"
fi
base_url="${base_url%/}"

if [[ -z "${os}" ]]; then
  case "${RUNNER_OS:-$(uname -s)}" in
    Linux) os=linux ;;
    macOS | Darwin) os=darwin ;;
    Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
    *) fail "no release build for this operating system (${RUNNER_OS:-uname}); build from source instead" ;;
  esac
fi
if [[ -z "${arch}" ]]; then
  case "${RUNNER_ARCH:-$(uname -m)}" in
    X64 | x86_64 | amd64) arch=amd64 ;;
    ARM64 | arm64 | aarch64) arch=arm64 ;;
    *) fail "no release build for this architecture; build from source instead" ;;
  esac
fi
case "${os}/${arch}" in
  linux/amd64 | linux/arm64 | darwin/amd64 | darwin/arm64 | windows/amd64 | windows/arm64) ;;
  *) fail "no release build for ${os}/${arch}" ;;
esac

exe="" ext="tar.gz"
if [[ "${os}" == windows ]]; then exe=".exe" ext="zip"; fi
asset="secret-preflight_${number}_${os}_${arch}.${ext}"
binary="secret-preflight${exe}"

# Git Bash on Windows: RUNNER_TEMP and friends are Windows paths (D:\a\_temp);
# its tools take them, but a drive letter's colon reads as a remote host to
# GNU tar, so work with POSIX paths throughout.
tmp_base="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
if command -v cygpath >/dev/null 2>&1; then
  dest=$(cygpath -u "${dest}")
  tmp_base=$(cygpath -u "${tmp_base}")
  if [[ -n "${cache_dir}" ]]; then cache_dir=$(cygpath -u "${cache_dir}"); fi
fi

# No binary from an earlier run may survive a failed install.
mkdir -p "${dest}"
rm -f "${dest}/${binary}"

work=$(mktemp -d "${tmp_base%/}/secret-preflight-install.XXXXXX")
trap 'rm -rf "${work}"' EXIT

download() { # URL FILE WHAT
  local code=0
  curl --fail --silent --show-error --location --retry 3 --connect-timeout 10 --max-time 120 \
    --output "$2" "$1" 2>"${work}/curl.err" || code=$?
  if [[ ${code} -ne 0 ]]; then
    if [[ ${code} -eq 22 ]]; then
      fail "release ${tag} has no $3 (${1} answered an HTTP error): check the version, or that the release finished publishing"
    fi
    fail "could not download $3 from ${1} (curl exit ${code})"
  fi
}

sha256() {
  local out
  if command -v sha256sum >/dev/null 2>&1; then
    out=$(sha256sum "$1")
  else
    out=$(shasum -a 256 "$1")
  fi
  printf '%s' "${out%% *}" | tr 'A-F' 'a-f'
}

download "${base_url}/checksums.txt" "${work}/checksums.txt" "checksums.txt"
# The line for exactly this file name: "<sha256>  <name>" (GoReleaser's
# format, also sha256sum's; a leading '*' marks binary mode).
want=$(tr -d '\r' < "${work}/checksums.txt" |
  awk -v name="${asset}" '{ n = $2; sub(/^\*/, "", n) } n == name { print $1; exit }' |
  tr 'A-F' 'a-f')
if [[ -z "${want}" ]]; then
  fail "checksums.txt of release ${tag} has no line for ${asset}: refusing to install an unverified binary"
fi
if [[ ! "${want}" =~ ^[0-9a-f]{64}$ ]]; then
  fail "checksums.txt of release ${tag} has a malformed SHA-256 for ${asset}: refusing to install"
fi

archive="${work}/${asset}"
from="downloaded"
if [[ -n "${cache_dir}" && -f "${cache_dir}/${asset}" ]]; then
  cp "${cache_dir}/${asset}" "${archive}"
  from="cached"
else
  download "${base_url}/${asset}" "${archive}" "${asset} (no build for ${os}/${arch}?)"
fi

have=$(sha256 "${archive}")
if [[ "${have}" != "${want}" ]]; then
  if [[ "${from}" == cached ]]; then rm -f "${cache_dir}/${asset}"; fi
  fail "checksum mismatch for ${from} ${asset}: SHA-256 ${have}, checksums.txt of release ${tag} says ${want}. The file is corrupt or was tampered with; nothing was installed"
fi

# Verified: only now is the archive opened, and only the binary is taken
# out of it, so no other path in the archive is ever written.
mkdir "${work}/x"
if [[ "${ext}" == zip ]]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "${archive}" "${binary}" -d "${work}/x" || fail "${asset}: could not extract ${binary}"
  else
    # Windows runners without unzip in Git Bash: PowerShell's extractor.
    powershell.exe -NoProfile -NonInteractive -Command \
      "Add-Type -AssemblyName System.IO.Compression.FileSystem; \$z=[IO.Compression.ZipFile]::OpenRead('$(cygpath -w "${archive}")'); try { \$e=\$z.GetEntry('${binary}'); if (-not \$e) { exit 1 }; [IO.Compression.ZipFileExtensions]::ExtractToFile(\$e, '$(cygpath -w "${work}/x/${binary}")') } finally { \$z.Dispose() }" ||
      fail "${asset}: could not extract ${binary}"
  fi
else
  tar -xzf "${archive}" -C "${work}/x" "${binary}" || fail "${asset}: could not extract ${binary}"
fi
if [[ ! -f "${work}/x/${binary}" ]]; then
  fail "${asset} holds no ${binary}"
fi
chmod +x "${work}/x/${binary}"

if [[ -n "${cache_dir}" && "${from}" == downloaded ]]; then
  mkdir -p "${cache_dir}"
  cp "${archive}" "${cache_dir}/${asset}"
fi
mv -f "${work}/x/${binary}" "${dest}/${binary}"
echo "secret-preflight ${tag} for ${os}/${arch}: ${from} ${asset}, SHA-256 ${have} matches checksums.txt; installed ${dest}/${binary}"
