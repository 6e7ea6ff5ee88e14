#!/usr/bin/env bash
# A short libFuzzer run of every fuzz target (ASan+UBSan), for CI. Each target starts from its
# checked-in seeds (tests/fuzz/seeds/<target>/, or providers/<name>/tests/seeds/<target>/, which
# also hold every crash found and fixed) and the fixtures of its format, runs IMPRINT_FUZZ_RUNS inputs (default 30000, seed
# IMPRINT_FUZZ_SEED=1) within at most IMPRINT_FUZZ_SECONDS seconds (default 20),
# and fails the script on any crash, leak, sanitizer report or timeout. Findings are kept in
# $IMPRINT_ASAN_BUILD_DIR/fuzz/artifacts/.
#   tests/fuzz/run-short.sh [TARGET...]       default: every target
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${IMPRINT_ASAN_BUILD_DIR:-$src/build-asan}
seconds=${IMPRINT_FUZZ_SECONDS:-20}
# CI's run is reproducible: a fixed seed and a fixed number of executions from a fresh corpus,
# so the same sources fuzz the same inputs on every machine (the time cap only bounds a slow one).
# A fixed seed alone is not enough: libFuzzer feeds compared values into its mutations, pointers
# among them, so address randomization changes the inputs (setarch -R turns it off for the
# fuzzer), and it rereads its corpus on a timer (-reload=0). Targets slow per input run fewer.
# The same checkout then fuzzes the same inputs run after run. A checkout at another path does
# not quite: the sanitizers keep each source's full path in the binary (clang 14 maps it for
# neither ASan nor UBSan), which moves the data that pointer comparisons see.
# Longer exploratory runs: IMPRINT_FUZZ_RUNS=-1 IMPRINT_FUZZ_SEED=0 IMPRINT_FUZZ_SECONDS=600.
fuzz_runs=${IMPRINT_FUZZ_RUNS:-30000}
fuzz_seed=${IMPRINT_FUZZ_SEED:-1}
declare -A target_runs=([fuzz-media-tree]=6000)
fixed_addresses=()
if [[ $fuzz_seed != 0 ]] && setarch "$(uname -m)" -R true 2>/dev/null; then
  fixed_addresses=(setarch "$(uname -m)" -R)
fi

# Fixtures that are seeds for each of the agent's targets (globs under tests/fixtures and
# providers/*/fixtures). A provider's targets (providers/<name>/tests/fuzz-*.cc) declare their
# own, relative to the provider's folder, in `// fuzz-seeds:` and `// fuzz-dict:` lines.
declare -A seeds=(
  [fuzz-yaml]="providers/nocloud/fixtures/*/meta-data providers/nocloud/fixtures/*/user-data providers/nocloud/fixtures/*/network-config providers/hetzner/fixtures/*/metadata providers/incus/fixtures/*/meta-data"
  [fuzz-json]="providers/*/fixtures/*/*.json providers/*/fixtures/*/openstack/*/*.json providers/nocloud/fixtures/json-kubevirt/meta-data"
  [fuzz-user-data]="providers/*/fixtures/*/user-data providers/*/fixtures/*/openstack/*/user_data providers/azure/fixtures/*/userData"
  [fuzz-encoding]="providers/nocloud/fixtures/gzip/user-data providers/azure/fixtures/*/userData"
  [fuzz-media-tree]=""
  [fuzz-mountinfo]="tests/fixtures/mountinfo/*"
  [fuzz-config]=""
  [fuzz-detect]=""
  [fuzz-render]=""
  [fuzz-pipeline]=""
  [fuzz-http-date]=""
)
declare -A dicts=([fuzz-yaml]=yaml.dict [fuzz-user-data]=yaml.dict [fuzz-config]=yaml.dict)
declare -A seedroot=() checkedin=()
for f in "$src"/providers/*/tests/fuzz-*.cc; do
  t=$(basename "$f" .cc)
  folder=$(cd "$(dirname "$f")/.." && pwd)
  seeds[$t]=$(sed -n 's|^// fuzz-seeds: *||p' "$f" | head -1)
  dict=$(sed -n 's|^// fuzz-dict: *||p' "$f" | head -1)
  [[ -n $dict ]] && dicts[$t]=$dict
  seedroot[$t]=$folder
  checkedin[$t]=$folder/tests/seeds/$t
done

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(printf '%s\n' "${!seeds[@]}" | sort)
fi

"$src/tests/fuzz/build.sh" "${targets[@]}"

work=$build/fuzz
mkdir -p "$work/artifacts"
failed=()
total_runs=0
start=$SECONDS
for t in "${targets[@]}"; do
  [[ -v "seeds[$t]" ]] || { echo "run-short: unknown target $t" >&2; exit 2; }
  corpus=$work/corpus/$t
  [[ $fuzz_seed == 0 ]] || rm -rf "$corpus"
  seeddir=$work/seeds/$t
  rm -rf "$seeddir"
  mkdir -p "$corpus" "$seeddir"
  (cd "${seedroot[$t]:-$src}" && shopt -s nullglob && for g in ${seeds[$t]}; do
     for f in $g; do [[ -f $f ]] && cp "$f" "$seeddir/${f//\//_}"; done
   done)
  dirs=("$corpus" "$seeddir")
  checked=${checkedin[$t]:-$src/tests/fuzz/seeds/$t}
  [[ -d $checked ]] && dirs+=("$checked")
  runs=$fuzz_runs
  [[ -z ${IMPRINT_FUZZ_RUNS:-} && -n ${target_runs[$t]:-} ]] && runs=${target_runs[$t]}
  opts=(-max_total_time="$seconds" -runs="$runs" -seed="$fuzz_seed" -reload=0 -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -artifact_prefix="$work/artifacts/$t-" -print_final_stats=1)
  [[ -n ${dicts[$t]:-} ]] && opts+=(-dict="$src/tests/fuzz/${dicts[$t]}")
  log=$work/$t.log
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "${fixed_addresses[@]}" "$build/tests/fuzz/$t" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    total_runs=$((total_runs + ${runs:-0}))
    printf 'fuzz %-22s ok   %9s execs  cov %s\n' "$t" "${runs:-?}" "${cov:-?}"
  else
    failed+=("$t")
    printf 'fuzz %-22s FAILED (log: %s)\n' "$t" "$log"
    grep -E 'ERROR|SUMMARY|Test unit written|runtime error|property violated|said' "$log" | head -20 || true
  fi
done
passed=$(( ${#targets[@]} - ${#failed[@]} ))
echo "fuzz: ${#targets[@]} targets, $total_runs executions in $((SECONDS - start)) s"
echo "${passed} passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
