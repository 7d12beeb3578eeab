#!/bin/bash
# Compiles the runtime as it is in a commit (or in the working tree) into builds/NAME/dist, for
# compare-runtimes.mjs. Usage (from the repository root, after npm run build):
#   bench/compare-runtimes/build-runtime.sh before HEAD~1
#   bench/compare-runtimes/build-runtime.sh after            # the working tree
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="$1"
revision="${2:-}"
target="$here/builds/$name"
rm -rf "$target"
mkdir -p "$target/src"
if [ -n "$revision" ]; then
  git -C "$here/../.." archive "$revision" runtime/src | tar -x -C "$target/src" --strip-components=2 -f -
else
  cp -r "$here/../../runtime/src/." "$target/src/"
fi
cat > "$target/tsconfig.json" <<JSON
{ "extends": "../../../../tsconfig.json", "compilerOptions": { "rootDir": "src", "outDir": "dist", "declaration": false, "declarationMap": false, "sourceMap": false }, "include": ["src"] }
JSON
"$here/../../node_modules/.bin/tsc" -p "$target/tsconfig.json"
echo "built $target/dist"
