#!/usr/bin/env bash
# Start-up time and memory of `iris serve`, beside llama-server's on the same machine, interleaved
# (Iris, llama-server, Iris, ...), three rounds each, medians into bench/RESULTS.md ("## Start-up and memory").
# The method of the shared llama.cpp comparison script (bench/compare/llamacpp-compare.sh): ready = the server's ready line
# (Iris: "fired up", llama-server: "model loaded"); /health 200 is timed too (Iris answers 503 while
# its warm-up runs); memory is VmHWM / RssAnon / RssFile from /proc after start.
# Usage: bench/startup.sh [2B model dir] [llama-server binary] [2B BF16 gguf]
#   (without the last two, llama-server is left out; without any, the 2B model too)
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
model2b=${1:-}; llama=${2:-}; gguf=${3:-}
iris=distribution/target/iris/bin/iris
out=$(mktemp -d)
[ -x "$iris" ] || ./mvnw -B -ntp -q package -DskipTests

# name, ready pattern, command...: prints "name ready_s health_s hwm_kib anon_kib file_kib"
measure() {
  local name=$1 pattern=$2; shift 2
  local port; port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  local log=$out/$name.log
  local t0; t0=$(date +%s.%N)
  "$@" --port "$port" > "$log" 2>&1 & local pid=$!
  local t1="" t2=""
  for _ in $(seq 1 6000); do
    [ -z "$t1" ] && grep -q "$pattern" "$log" && t1=$(date +%s.%N)
    if [ -n "$t1" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; then
      t2=$(date +%s.%N); break
    fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  local mem; mem=$(awk '/VmHWM|RssAnon|RssFile/ {printf "%s ", $2}' /proc/$pid/status 2>/dev/null)
  echo "$name $(python3 -c "print(round($t1-$t0,2), round($t2-$t0,2))") $mem"
  kill $pid; wait $pid 2>/dev/null; sleep 2
}

measure priming "fired up" "$iris" serve > /dev/null # the first server writes the class-data-sharing archive
for r in 1 2 3; do
  measure iris-demo "fired up" "$iris" serve
  measure iris-tiny-mllama "fired up" "$iris" serve --model-path testdata/models/tiny-mllama
  measure iris-tiny-qwen2-vl "fired up" "$iris" serve --model-path testdata/models/tiny-qwen2-vl
  if [ -n "$model2b" ]; then
    IRIS_JAVA_OPTS="-Xmx8g -Diris.cpu.threads=2" measure iris-2b "fired up" "$iris" serve --model-path "$model2b" \
      --disable-radix-cache --max-total-tokens 16384
  fi
  if [ -n "$llama" ]; then
    measure llama-server-2b "model loaded" "$llama" -m "$gguf" --host 127.0.0.1 -t 2 -np 16 -c 16384 -cb
  fi
done | tee "$out/figures.txt"

python3 - "$out/figures.txt" bench/RESULTS.md <<'PY'
import statistics, sys, re, datetime
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) >= 6:
        rows.setdefault(p[0], []).append([float(x) for x in p[1:6]])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
med = lambda v, i: statistics.median(r[i] for r in v)
out = [f"## Start-up and memory\n\n`bench/startup.sh`, {datetime.date.today()}, on {cpu}: medians of 3 interleaved starts;"
       " ready = the ready line (Iris: `fired up`, accepting requests; llama-server: `model loaded`), /health 200 = Iris's"
       " warm-up done; memory from /proc after start.\n",
       "| server | ready s | /health 200 s | VmHWM MiB | RssAnon MiB | RssFile MiB |", "|---|---:|---:|---:|---:|---:|"]
for name, v in rows.items():
    out.append(f"| {name} | {med(v,0):.2f} | {med(v,1):.2f} | {med(v,2)/1024:.0f} | {med(v,3)/1024:.0f} | {med(v,4)/1024:.0f} |")
if "iris-2b" in rows and "llama-server-2b" in rows:
    i, l = rows["iris-2b"], rows["llama-server-2b"]
    out.append(f"\n2B: ready {med(i,0)/med(l,0):.2f}× llama-server's time, /health 200 {med(i,1)/med(l,1):.2f}×;"
               f" peak RSS {med(i,2)/med(l,2):.2f}× llama-server's.")
section = "\n".join(out) + "\n"
print(section)
text = open(sys.argv[2]).read()
m = re.search(r"^## Start-up and memory\n.*?(?=^## |\Z)", text, re.S | re.M)
text = text.replace(m.group(0), section + "\n") if m else text.rstrip() + "\n\n" + section
open(sys.argv[2], "w").write(text)
PY
