#!/bin/sh
# Install the browser libraries from npm, exactly as pinned in package-lock.json, and copy
# the files the pages load into the web app's static directory (served by WhiteNoise
# after collectstatic). No CDN at run time. See docs/adr/0080-dashboard.md.
#
#   sh scripts/build_assets.sh        (make assets; make demo runs it when needed)
set -eu
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "build_assets: npm is required (Debian: apt-get install -y npm)" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
dest=src/tongban/web/static/stats/vendor
mkdir -p "$dest"
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts.min.js"
cp node_modules/echarts/LICENSE "$dest/echarts-LICENSE.txt"
version=$(node -p "require('./node_modules/echarts/package.json').version")
echo "$version" > "$dest/echarts-VERSION.txt"
echo "build_assets: echarts $version -> $dest/echarts.min.js"
