#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   ./setup.sh run [ipcbench options]   install what is missing, build (Release), run the default suite (with
#                                       no options also a short capacity sweep and the Multikernel experiment),
#                                       then the report
#   ./setup.sh test                     install what is missing, build (Release), run every test
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  run | test) shift ;;
  *) echo "usage: ./setup.sh run [ipcbench options] | ./setup.sh test" >&2; exit 2 ;;
esac

packages=(build-essential cmake git pkg-config libgtest-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev
          python3 python3-jsonschema python3-matplotlib python3-numpy chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel's own count of system calls per message needs the raw_syscalls tracepoint, found in tracefs;
# without it ipcbench records why and goes on. Root only; nothing is mounted twice.
[ "$(id -u)" -eq 0 ] && [ ! -d /sys/kernel/tracing/events ] && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

if [ "$mode" = run ]; then
  # Then the charts, the HTML report and the claim verdicts of the results file this run wrote, next to it in
  # results/<basename>/ (plot/report.py reads the JSON only). The exit status stays ipcbench's.
  started=$(date +%s)
  status=0
  ./build/ipcbench "$@" || status=$?
  out=""
  prev=""
  for arg in "$@"; do
    case "$arg" in --out=*) out=${arg#--out=} ;; esac
    [ "$prev" = --out ] && out=$arg
    prev=$arg
  done
  [ -n "$out" ] || out=$(ls -t results/*.json 2>/dev/null | grep -v 'schema\.json$' | head -n1 || true)
  if [ -n "$out" ] && [ -f "$out" ] && [ "$(stat -c %Y "$out")" -ge "$started" ]; then
    base=${out%.json}
    companions=()
    # The default suite (no options given, and it was not interrupted) gets two short companion sweeps of this
    # machine, so the report can also judge the buffering and Multikernel claims: stream through a 1-message and
    # the largest buffer, and the Multikernel experiment (README: Charts and report). A failed run in them is
    # recorded in their JSON and does not change the exit status.
    if [ $# -eq 0 ] && { [ "$status" -eq 0 ] || [ "$status" -eq 1 ]; }; then
      echo "setup: companion sweeps for the report: $base-capacity.json, $base-multikernel.json" >&2
      ./build/ipcbench --transports shm,pipe,unix --patterns stream --sizes 64 --capacity 1,unbounded \
        --wait spin,block --placement cross-core --duration 0.1 --quiet --out "$base-capacity.json" || true
      ./build/ipcbench multikernel --lines 1,8 --duration 0.05 --warmup 0.01 --repetitions 3 --quiet \
        --out "$base-multikernel.json" || true
      for c in "$base-capacity.json" "$base-multikernel.json"; do
        if [ -f "$c" ] && [ "$(stat -c %Y "$c")" -ge "$started" ]; then companions+=(--with "$c"); fi
      done
    fi
    /usr/bin/python3 plot/report.py "$out" "${companions[@]}" --out "$base" ||
      echo "setup: the report for $out failed (the results file is complete)" >&2
  fi
  exit "$status"
fi
# test: the main suite (including the 10^7-message stress tests, label `stress`), then the shm ring in
# thread mode under ThreadSanitizer, built in its own directory. Both always run; either failing fails.
status=0
(cd build && ctest --output-on-failure) || status=$?
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DIPCBENCH_TSAN=ON >/dev/null
cmake --build build-tsan -j"$(nproc)" --target ipcbench_ring_tsan_tests
(cd build-tsan && ctest --output-on-failure) || status=$?
exit "$status"
