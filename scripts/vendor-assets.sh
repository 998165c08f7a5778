#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (run by a developer, not at run time).
# The site serves them locally: no CDN, so it works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=${BOOTSTRAP:-5.3.8}
HTMX=${HTMX:-2.0.7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" >/dev/null)
mkdir -p "$work/b" "$work/h"
tar xzf "$work/bootstrap-$BOOTSTRAP.tgz" -C "$work/b"
tar xzf "$work/htmx.org-$HTMX.tgz" -C "$work/h"
dest=static/vendor
rm -rf "$dest/bootstrap-$BOOTSTRAP" "$dest/htmx-$HTMX"
mkdir -p "$dest/bootstrap-$BOOTSTRAP" "$dest/htmx-$HTMX"
cp "$work"/b/package/dist/css/bootstrap.min.css{,.map} "$work"/b/package/dist/js/bootstrap.bundle.min.js{,.map} \
   "$work/b/package/LICENSE" "$dest/bootstrap-$BOOTSTRAP/"
cp "$work/h/package/dist/htmx.min.js" "$work/h/package/LICENSE" "$dest/htmx-$HTMX/"
echo "Vendored bootstrap $BOOTSTRAP and htmx $HTMX into $dest (update templates/base.html if versions changed)."
