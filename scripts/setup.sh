#!/usr/bin/env bash
# Installs what segkit needs and builds it, skipping whatever is already there:
# Debian packages (libtorch, gloo headers, python3-torch for the tests), npm packages,
# the native addon and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-dejavu-core: text in the PNG charts and overlays (librsvg inside sharp needs a font).
packages=(libtorch-dev libgloo-dev cmake g++ make libopenblas0-openmp python3-torch python3-opencv python3-pil libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "segkit setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "segkit setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Native addons (segkit_native: libtorch; segkit_image: OpenCV, for the data workers): rebuild
# when either is missing, a native source is newer than the binary, or LIBTORCH changed.
addon=build/native/Release/segkit_native.node
image_addon=build/native/Release/segkit_image.node
stamp=build/native/.libtorch
want="${LIBTORCH:-system}"
if [ ! -f "$addon" ] || [ ! -f "$image_addon" ] || [ -n "$(find native -newer "$addon" -type f | head -1)" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "segkit setup: building the native addon against libtorch ($want)"
  mkdir -p build
  npx cmake-js compile -d native --out build/native >build/native-build.log 2>&1 || {
    mkdir -p build; tail -40 build/native-build.log; echo "segkit setup: native build failed (full log: build/native-build.log)"; exit 1; }
  echo "$want" >"$stamp"
fi

echo "segkit setup: compiling TypeScript"
rm -rf dist
npx tsc -p tsconfig.json
