#!/usr/bin/env bash
# Runs the tap suite and ends with a plain "N passed, N failed" line (tap's own summary is a
# JSON-ish comment that CI tools do not recognise). Keeps tap's exit code.
# tap runs two test files at once (package.json "tap.jobs"): on a 2-core machine each mtl-bench
# process they start gets one wasm thread, as `--jobs 2` would give it; tests/threads.test.ts
# checks the threaded backend and the default rule itself.
set -o pipefail
export MTL_BENCH_THREADS="${MTL_BENCH_THREADS:-1}"
log=$(mktemp)
npx tap --reporter=tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
node -e '
const s = require("fs").readFileSync(process.argv[1], "utf8").split("\n").reverse().find((l) => /^# \{ total: /.test(l)) || "";
const g = (k) => +((s.match(new RegExp(k + ": (\\d+)")) || [0, 0])[1]);
console.log(`tap: ${g("pass")} passed, ${g("fail")} failed, ${g("skip") + g("todo")} skipped`);
' "$log"
rm -f "$log"
exit $rc
