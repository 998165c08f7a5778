#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (run by a developer, not at run time).
# The site serves them locally: no CDN, so it works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=${BOOTSTRAP:-5.3.8}
HTMX=${HTMX:-2.0.7}
ECHARTS=${ECHARTS:-5.6.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "echarts@$ECHARTS" >/dev/null)
mkdir -p "$work/b" "$work/h" "$work/e"
tar xzf "$work/bootstrap-$BOOTSTRAP.tgz" -C "$work/b"
tar xzf "$work/htmx.org-$HTMX.tgz" -C "$work/h"
tar xzf "$work/echarts-$ECHARTS.tgz" -C "$work/e"
dest=static/vendor
rm -rf "$dest/bootstrap-$BOOTSTRAP" "$dest/htmx-$HTMX" "$dest/echarts-$ECHARTS"
mkdir -p "$dest/bootstrap-$BOOTSTRAP" "$dest/htmx-$HTMX" "$dest/echarts-$ECHARTS"
cp "$work"/b/package/dist/css/bootstrap.min.css{,.map} "$work"/b/package/dist/js/bootstrap.bundle.min.js{,.map} \
   "$work/b/package/LICENSE" "$dest/bootstrap-$BOOTSTRAP/"
cp "$work/h/package/dist/htmx.min.js" "$work/h/package/LICENSE" "$dest/htmx-$HTMX/"
cp "$work/e/package/dist/echarts.min.js" "$work/e/package/LICENSE" "$work/e/package/NOTICE" "$dest/echarts-$ECHARTS/"
echo "Vendored bootstrap $BOOTSTRAP, htmx $HTMX and echarts $ECHARTS into $dest (update templates/base.html and"
echo "templates/wellbeing/screening/person.html if versions changed)."
