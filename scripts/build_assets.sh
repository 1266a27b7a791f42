#!/bin/sh
# Install the browser libraries from npm, exactly as pinned in package-lock.json, and build
# the files the pages load into the web app's static directory (served by WhiteNoise
# after collectstatic). No CDN at run time. See docs/adr/0080-dashboard.md and
# docs/adr/0126-static-files-and-accessibility-gate.md.
#
#   sh scripts/build_assets.sh        (make assets; make demo runs it when needed)
#
# ECharts is bundled by esbuild from assets/echarts.js with only the chart types and
# components the dashboard draws. axe-core (the browser journeys' accessibility check)
# stays in node_modules: the tests read it from there, no page ever loads it.
set -eu
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "build_assets: npm is required (Debian: apt-get install -y npm)" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
dest=src/tongban/web/static/stats/vendor
mkdir -p "$dest"
node_modules/.bin/esbuild assets/echarts.js --bundle --minify --format=iife --target=es2018 \
    --legal-comments=none '--define:process.env.NODE_ENV="production"' \
    --log-level=warning --outfile="$dest/echarts.min.js"
cp node_modules/echarts/LICENSE "$dest/echarts-LICENSE.txt"
version=$(node -p "require('./node_modules/echarts/package.json').version")
echo "$version (custom build: assets/echarts.js)" > "$dest/echarts-VERSION.txt"
echo "build_assets: echarts $version (bar, line, pie, gauge, heatmap; SVG) -> $dest/echarts.min.js"
