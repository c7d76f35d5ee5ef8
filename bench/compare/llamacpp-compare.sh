#!/usr/bin/env bash
# Iris vs llama.cpp on this machine, same shapes (Qwen2-VL-2B, random weights), same threads, runs interleaved.
# The project's copy of the comparison method the issues' targets come from; `results` writes the comparison section of
# bench/RESULTS.md from the last run (bench/compare/results.py), `bf16` runs the BF16-only rounds it reads, `q8_0` and
# `q4_0` serve the same checkpoint with `--quantization` against llama-server on the GGUF of that type (their own section),
# `gguf-q8_0`, `gguf-q4_0`, `gguf-q4_k_m` and `gguf-q5_k_m` have both engines serve the same GGUF pair (text + mmproj); `gguf-json` has
# both decode on the Q8_0 pair free and held to bench's nested JSON schema (structured outputs).
# ANCHORS = a scratch folder (the anchors folder); IRIS = a copy of the Iris checkout (built here).
#   bash perf-run-2026-12-02.sh setup   # helpers, llama.cpp from the npm bundle, Iris build, models (~25 min on 2 vCPU)
#   bash perf-run-2026-12-02.sh all     # every measurement, interleaved A,B,A,B (~30 min), then a summary table
#   bash perf-run-2026-12-02.sh STEP [round]   # one step (see the case list at the end)
# Before measuring: nothing else may load the CPU (check with top). Other login groups' processes are not slowed by
# nice under sched_autogroup; `echo -15 > /proc/self/autogroup` in the measuring shell raises only its own group.
set -uo pipefail
: "${ANCHORS:?set ANCHORS}" "${IRIS:?set IRIS}"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
LB=$ANCHORS/llama.cpp/build/bin; M=$ANCHORS/models; O=${OUT:-$ANCHORS/out}; S=$ANCHORS/scripts
HF=$M/qwen2-vl-2b-iris; G=$M/qwen2vl-2b-text-random
R=${2:-1}

write_helpers() {
mkdir -p "$S" "$ANCHORS/bench"
cat > "$S/make_gguf.py" <<'PY'
#!/usr/bin/env python3
"""Random-weight GGUFs with Qwen2-VL-2B shapes, written with llama.cpp's own gguf-py.
usage: make_gguf.py text OUT.gguf [arch=qwen2|qwen2vl] [n_layers]
       make_gguf.py mmproj OUT.gguf
Weights N(0, 0.02) in F16, norms 1 (F32), biases 0 (F32). Tokenizer metadata from models/ggml-vocab-qwen2.gguf."""
import os, sys
import numpy as np
LLAMA = os.environ.get("LLAMA_SRC", os.path.join(os.path.dirname(__file__), "..", "llama.cpp"))
sys.path.insert(0, os.path.join(LLAMA, "gguf-py"))
import gguf

rng = np.random.default_rng(2026)
def normal(*shape):  # numpy shape = (rows=out, cols=in)
    return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)
ones = lambda n: np.ones(n, dtype=np.float32)
zeros = lambda n: np.zeros(n, dtype=np.float32)

# Qwen2-VL's added tokens 151646..151656 (its tokenizer.json), CONTROL as llama.cpp's converter types them.
VISION = ["<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>",
          "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
VISION_TOKENS_AT = {
    "tokenizer.ggml.tokens": lambda t: t[:151646] + VISION + t[151646 + len(VISION):],
    "tokenizer.ggml.token_type": lambda t: t[:151646] + [3] * len(VISION) + t[151646 + len(VISION):],
}

def text(out, arch="qwen2", n_layer=28):
    H, FF, NH, NKV, V = 1536, 8960, 12, 2, 151936
    KV = H // NH * NKV
    w = gguf.GGUFWriter(out, arch)
    w.add_name(f"qwen2vl-2b-text-random ({arch}, {n_layer} layers)")
    w.add_context_length(32768); w.add_embedding_length(H); w.add_block_count(n_layer)
    w.add_feed_forward_length(FF); w.add_head_count(NH); w.add_head_count_kv(NKV)
    w.add_rope_freq_base(1e6); w.add_layer_norm_rms_eps(1e-6); w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    if arch == "qwen2vl":
        w.add_rope_dimension_sections([16, 24, 24, 0])
    r = gguf.GGUFReader(os.path.join(LLAMA, "models", "ggml-vocab-qwen2.gguf"))
    for k, f in r.fields.items():
        if not k.startswith("tokenizer."):
            continue
        vt = f.types[0]
        value = f.contents()
        if arch == "qwen2vl" and k in VISION_TOKENS_AT:  # Qwen2-VL's tokenizer adds its vision tokens over the pads
            value = VISION_TOKENS_AT[k](value)
        if vt == gguf.GGUFValueType.ARRAY:
            w.add_key_value(k, value, vt, f.types[1])
        else:
            w.add_key_value(k, value, vt)
    w.add_tensor("token_embd.weight", normal(V, H))
    for i in range(n_layer):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", ones(H))
        w.add_tensor(p + "attn_q.weight", normal(H, H)); w.add_tensor(p + "attn_q.bias", zeros(H))
        w.add_tensor(p + "attn_k.weight", normal(KV, H)); w.add_tensor(p + "attn_k.bias", zeros(KV))
        w.add_tensor(p + "attn_v.weight", normal(KV, H)); w.add_tensor(p + "attn_v.bias", zeros(KV))
        w.add_tensor(p + "attn_output.weight", normal(H, H))
        w.add_tensor(p + "ffn_norm.weight", ones(H))
        w.add_tensor(p + "ffn_gate.weight", normal(FF, H))
        w.add_tensor(p + "ffn_up.weight", normal(FF, H))
        w.add_tensor(p + "ffn_down.weight", normal(H, FF))
    w.add_tensor("output_norm.weight", ones(H))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(progress=False); w.close()

def mmproj(out):
    # mirrors conversion/qwenvl.py Qwen2VLVisionModel for Qwen2-VL-2B-Instruct's vision_config
    E, D, NH, FF, P, LM = 1280, 32, 16, 5120, 14, 1536
    w = gguf.GGUFWriter(out, "clip")
    w.add_type(gguf.GGUFType.MMPROJ)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_clip_has_vision_encoder(True)
    w.add_vision_projection_dim(LM)
    w.add_vision_image_size(560); w.add_vision_patch_size(P)
    w.add_vision_embedding_length(E)
    w.add_vision_feed_forward_length(LM)  # the converter writes vision_config.hidden_size here
    w.add_vision_block_count(D); w.add_vision_head_count(NH)
    w.add_vision_image_mean([0.48145466, 0.4578275, 0.40821073])
    w.add_vision_image_std([0.26862954, 0.26130258, 0.27577711])
    w.add_clip_projector_type(gguf.VisionProjectorType.QWEN2VL)
    w.add_vision_attention_layernorm_eps(1e-6)
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, D)
    def name(hf):
        n = tmap.get_name(hf, try_suffixes=(".weight", ".bias"))
        assert n is not None, hf
        return n
    w.add_tensor("v.patch_embd.weight", normal(E, 3 * P * P).reshape(E, 3, P, P))
    w.add_tensor("v.patch_embd.weight.1", normal(E, 3 * P * P).reshape(E, 3, P, P))
    for b in range(D):
        p = f"visual.blocks.{b}."
        for n in ("norm1", "norm2"):
            w.add_tensor(name(p + n + ".weight"), ones(E)); w.add_tensor(name(p + n + ".bias"), zeros(E))
        for q in ("q", "k", "v"):
            w.add_tensor(name(p + f"attn.{q}.weight"), normal(E, E)); w.add_tensor(name(p + f"attn.{q}.bias"), zeros(E))
        w.add_tensor(name(p + "attn.proj.weight"), normal(E, E)); w.add_tensor(name(p + "attn.proj.bias"), zeros(E))
        w.add_tensor(name(p + "mlp.fc1.weight"), normal(FF, E)); w.add_tensor(name(p + "mlp.fc1.bias"), zeros(FF))
        w.add_tensor(name(p + "mlp.fc2.weight"), normal(E, FF)); w.add_tensor(name(p + "mlp.fc2.bias"), zeros(E))
    w.add_tensor(name("visual.merger.ln_q.weight"), ones(E)); w.add_tensor(name("visual.merger.ln_q.bias"), zeros(E))
    w.add_tensor(name("visual.merger.mlp.0.weight"), normal(4 * E, 4 * E)); w.add_tensor(name("visual.merger.mlp.0.bias"), zeros(4 * E))
    w.add_tensor(name("visual.merger.mlp.2.weight"), normal(LM, 4 * E)); w.add_tensor(name("visual.merger.mlp.2.bias"), zeros(LM))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(progress=False); w.close()

if __name__ == "__main__":
    if sys.argv[1] == "text":
        text(sys.argv[2], *(sys.argv[3:4] or ["qwen2"]), *([int(sys.argv[4])] if len(sys.argv) > 4 else []))
    else:
        mmproj(sys.argv[2])
PY
cat > "$S/client.py" <<'PY'
#!/usr/bin/env python3
"""HTTP load client for Iris (/generate) and llama-server (/completion), streaming, stdlib only.
usage: client.py iris|llama PORT MODE [args]
  MODE decode  N_NEW REPS          one stream, ~32-token prompt, streamed: decode tok/s = (n-1)/(t_last - t_first)
  MODE prefill PROMPT_TOKENS REPS  max_new_tokens 1, distinct prompts, non-streamed wall time
  MODE batch   STREAMS N_NEW REPS  STREAMS concurrent streamed requests
Prints one JSON line per rep."""
import http.client, json, os, random, string, sys, threading, time

kind, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(7)

def prompt(n):
    if kind == "iris" and os.environ.get("PROMPT_IDS") == "1":  # a GGUF's real vocabulary: ids, as for llama-server
        return {"input_ids": [rnd.randrange(1000, 150000) for _ in range(n)]}
    if kind == "iris":  # byte-level tokenizer in the random checkpoint: 1 ASCII char = 1 token
        return {"text": "".join(rnd.choice(string.ascii_letters) for _ in range(n))}
    return {"prompt": [rnd.randrange(1000, 150000) for _ in range(n)]}

def body(n_prompt, n_new, stream, schema=None):
    b = prompt(n_prompt)
    if kind == "iris":
        b["sampling_params"] = {"max_new_tokens": n_new, "temperature": 0, "ignore_eos": schema is None}
        if schema is not None:
            b["sampling_params"]["json_schema"] = json.dumps(schema)
        b["stream"] = stream
    else:
        b.update({"n_predict": n_new, "temperature": 0, "ignore_eos": schema is None, "cache_prompt": False,
                  "stream": stream, "return_tokens": True})
        if schema is not None:
            b["json_schema"] = schema
    return json.dumps(b)

PATH = "/generate" if kind == "iris" else "/completion"

def streamed(payload, rec):
    """rec: list of (t, cumulative tokens); returns final json."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    t0 = time.perf_counter()
    c.request("POST", PATH, payload, {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, (r.status, r.read()[:500])
    ntok, last = 0, None
    while True:
        line = r.readline()
        if not line:
            break
        line = line.strip()
        if not line.startswith(b"data:"):
            continue
        d = line[5:].strip()
        if d == b"[DONE]":
            break
        j = json.loads(d)
        t = time.perf_counter()
        if kind == "iris":
            n = len(j.get("output_ids", []))
        else:
            n = ntok + len(j.get("tokens", []))
        if n > ntok:
            ntok = n
            rec.append((t - t0, ntok))
        last = j
    c.close()
    return t0, last

def plain(payload):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    t0 = time.perf_counter()
    c.request("POST", PATH, payload, {"Content-Type": "application/json"})
    r = c.getresponse(); data = r.read(); t = time.perf_counter() - t0
    assert r.status == 200, (r.status, data[:500])
    return t, json.loads(data)

if mode == "decode":
    n_new, reps = int(sys.argv[4]), int(sys.argv[5])
    for rep in range(reps):
        rec = []
        _, last = streamed(body(32, n_new, True), rec)
        (t1, n1), (t2, n2) = rec[0], rec[-1]
        print(json.dumps({"mode": "decode", "kind": kind, "rep": rep, "ttft_s": round(t1, 3), "tokens": n2,
                          "decode_tok_s": round((n2 - n1) / (t2 - t1), 3), "total_s": round(t2, 3),
                          "server_timings": last.get("timings") if kind == "llama" else last.get("meta_info", {}).get("e2e_latency")}), flush=True)
elif mode == "json":  # decode held to the JSON schema in $SCHEMA_FILE; rep 0 is the schema's first request
    n_new, reps = int(sys.argv[4]), int(sys.argv[5])
    schema = json.load(open(os.environ["SCHEMA_FILE"]))
    for rep in range(reps):
        rec = []
        _, last = streamed(body(32, n_new, True, schema), rec)
        (t1, n1), (t2, n2) = rec[0], rec[-1]
        print(json.dumps({"mode": "json", "kind": kind, "rep": rep, "ttft_s": round(t1, 3), "tokens": n2,
                          "decode_tok_s": round((n2 - n1) / (t2 - t1), 3) if n2 > n1 else None,
                          "total_s": round(t2, 3)}), flush=True)
elif mode == "prefill":
    n, reps = int(sys.argv[4]), int(sys.argv[5])
    for rep in range(reps):
        t, j = plain(body(n, 1, False))
        pt = j["meta_info"]["prompt_tokens"] if kind == "iris" else j.get("tokens_evaluated")
        print(json.dumps({"mode": "prefill", "kind": kind, "rep": rep, "prompt_tokens": pt, "wall_s": round(t, 3),
                          "prefill_tok_s_wall": round(pt / t, 2),
                          "server_timings": j.get("timings") if kind == "llama" else j["meta_info"].get("e2e_latency")}), flush=True)
elif mode == "batch":
    streams, n_new, reps = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    for rep in range(reps):
        recs = [[] for _ in range(streams)]
        payloads = [body(32, n_new, True) for _ in range(streams)]
        starts = [0.0] * streams
        def run(i):
            starts[i], _ = streamed(payloads[i], recs[i])
        th = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
        T0 = time.perf_counter()
        for t in th: t.start()
        for t in th: t.join()
        wall = time.perf_counter() - T0
        # absolute times relative to T0
        ab = [[(starts[i] - T0 + t, n) for t, n in recs[i]] for i in range(streams)]
        total = sum(r[-1][1] for r in ab)
        w0 = max(r[0][0] for r in ab)   # every stream has its first token
        w1 = min(r[-1][0] for r in ab)  # first stream finished
        def at(r, t):
            n = 0
            for tt, k in r:
                if tt <= t: n = k
            return n
        steady = sum(at(r, w1) - at(r, w0) for r in ab) / (w1 - w0) if w1 > w0 else float("nan")
        print(json.dumps({"mode": "batch", "kind": kind, "rep": rep, "streams": streams, "tokens": total,
                          "wall_s": round(wall, 3), "aggregate_tok_s_wall": round(total / wall, 2),
                          "steady_window_s": round(w1 - w0, 3), "aggregate_tok_s_steady": round(steady, 2),
                          "last_first_token_s": round(w0, 3)}), flush=True)
PY
cat > "$S/summarize.py" <<'PY'
#!/usr/bin/env python3
"""Summarise $ANCHORS/out: min / median / max per figure, and Iris/llama.cpp ratios of medians."""
import glob, json, os, re, statistics as st, sys
O = os.path.join(os.environ.get("ANCHORS", "."), "out")
def f(v): return "–" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.1f}")
def mmm(xs): return (min(xs), st.median(xs), max(xs), len(xs)) if xs else None
rows = {}
def add(key, v): rows.setdefault(key, []).append(v)
for fn in sorted(glob.glob(f"{O}/llamabench-*-r*.jsonl")):
    q = re.search(r"llamabench-(.+)-r\d", fn).group(1)
    for l in open(fn):
        j = json.loads(l)
        kind = f"pp{j['n_prompt']}" if j["n_gen"] == 0 else f"tg{j['n_gen']}"
        for s in j["samples_ts"]: add(f"llama-bench {q} {kind}", s)
for fn in sorted(glob.glob(f"{O}/throughput-r*.txt")):
    for m in re.finditer(r"(\d+) streams: ([\d.]+) tokens/s", open(fn).read()):
        add(f"Iris ThroughputBench {m.group(1)} streams", float(m.group(2)))
for fn in sorted(glob.glob(f"{O}/vision-iris-r*.txt")):
    t = open(fn).read()
    m = re.search(r"vision tower[^|]*\|\s*([\d.]+) s", t)
    if m: add("Iris VisionBench tower s", float(m.group(1)))
    m = re.search(r"decode, one stream, after the image\s*\|\s*([\d.]+)", t)
    if m: add("Iris VisionBench decode after image tok/s", float(m.group(1)))
for fn in sorted(glob.glob(f"{O}/vision-llama-r*.txt")):
    m = re.search(r"batch encoding done in (\d+) ms", open(fn).read())
    if m: add("llama.cpp mtmd encode s", int(m.group(1)) / 1000)
for fn in sorted(glob.glob(f"{O}/*-run-*r*.txt")):
    who = "Iris" if "iris" in os.path.basename(fn) else "llama-server " + re.search(r"run-(\w+?)-r", fn).group(1)
    for l in open(fn):
        if l.startswith("{"):
            j = json.loads(l)
            if j["mode"] == "decode": add(f"{who} HTTP decode tok/s (128 new)", j["decode_tok_s"]); add(f"{who} HTTP TTFT s (32-tok prompt)", j["ttft_s"])
            if j["mode"] == "prefill":
                add(f"{who} HTTP prefill 512 wall s", j["wall_s"]); add(f"{who} HTTP prefill tok/s (wall)", j["prefill_tok_s_wall"])
                if isinstance(j.get("server_timings"), dict): add(f"{who} HTTP prefill tok/s (server timings)", j["server_timings"]["prompt_per_second"])
            if j["mode"] == "batch":
                add(f"{who} HTTP 16 streams aggregate tok/s (steady)", j["aggregate_tok_s_steady"])
                add(f"{who} HTTP 16 streams aggregate tok/s (wall, incl. prefill)", j["aggregate_tok_s_wall"])
        m = re.search(r"ready after ([\d.]+) s", l)
        if m: add(f"{who} startup to ready s", float(m.group(1)))
        m = re.match(r"(after start|end): VmHWM:\s+(\d+) kB VmRSS:\s+(\d+) kB RssAnon:\s+(\d+) kB RssFile:\s+(\d+) kB", l)
        if m:
            add(f"{who} {m.group(1)} VmHWM GiB", int(m.group(2)) / 2**20); add(f"{who} {m.group(1)} RssAnon GiB", int(m.group(4)) / 2**20)
            add(f"{who} {m.group(1)} RssFile GiB", int(m.group(5)) / 2**20)
if os.path.exists(f"{O}/demo-startup.txt"):
    for l in open(f"{O}/demo-startup.txt"):
        m = re.search(r"ready after ([\d.]+) s.*VmHWM:\s*(\d+)", l)
        if m: add("Iris demo model startup to ready s", float(m.group(1))); add("Iris demo model VmHWM GiB", int(m.group(2)) / 2**20)
print("| figure | n | min | median | max |\n|---|---:|---:|---:|---:|")
for k, v in rows.items():
    a = mmm(v); print(f"| {k} | {a[3]} | {f(a[0])} | {f(a[1])} | {f(a[2])} |")
PY
cat > "$ANCHORS/bench/membw.c" <<'C'
// Read bandwidth: sum a large float array with OpenMP threads (AVX-512 via -O3 -march=native).
// usage: membw GiB reps
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
int main(int argc, char **argv) {
    size_t gib = argc > 1 ? atol(argv[1]) : 2; int reps = argc > 2 ? atoi(argv[2]) : 10;
    size_t n = gib * (1UL << 30) / sizeof(float);
    float *a = aligned_alloc(64, n * sizeof(float));
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023) * 1e-3f;
    double best = 0, sumbw = 0; float sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime(); float s = 0;
        #pragma omp parallel for schedule(static) reduction(+:s)
        for (size_t i = 0; i < n; i++) s += a[i];
        double t = omp_get_wtime() - t0, bw = n * sizeof(float) / t / 1e9;
        sink += s; sumbw += bw; if (bw > best) best = bw;
    }
    printf("threads=%d size=%zu GiB reps=%d best=%.1f GB/s mean=%.1f GB/s (sink %g)\n",
           omp_get_max_threads(), gib, reps, best, sumbw / reps, sink);
    return 0;
}
C
cat > "$ANCHORS/bench/np_gemm.py" <<'PY'
import time, numpy as np
n = 4096
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
ts = []
for _ in range(5):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
g = [2 * n**3 / t / 1e9 for t in ts]
print(f"sgemm {n}^3: median {sorted(g)[2]:.1f} best {max(g):.1f} GFLOP/s  ({np.__version__})")
PY
}

setup() {
  write_helpers
  gcc -O3 -march=native -fopenmp -ffast-math "$ANCHORS/bench/membw.c" -o "$ANCHORS/bench/membw"
  # llama.cpp v0.5.0 (squashed de3ff81) from node-llama-cpp's git bundle (npm 3.22.1)
  (cd "$ANCHORS" && mkdir -p npm && cd npm && npm pack node-llama-cpp@3.22.1 && tar xzf node-llama-cpp-3.22.1.tgz)
  git clone -q "$ANCHORS/npm/package/llama/gitRelease.bundle" "$ANCHORS/llama.cpp"
  (cd "$ANCHORS/llama.cpp" && cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
     && cmake --build build --config Release -j2 --target llama-bench llama-server llama-quantize llama-mtmd-cli)
  (cd "$IRIS" && ./mvnw -B -ntp -q package -DskipTests)
  mkdir -p "$M"
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$IRIS/bench/target/iris-bench-0.1.0-SNAPSHOT.jar:$IRIS/bench/target/lib/*" \
    dev.iris.bench.RandomModelWriter "$IRIS/bench/configs/qwen2-vl-2b-instruct.config.json" "$HF"
  export LLAMA_SRC=$ANCHORS/llama.cpp   # gguf-py + models/ggml-vocab-qwen2.gguf; needs numpy
  python3 "$S/make_gguf.py" text "$G-F16.gguf" qwen2 28
  python3 "$S/make_gguf.py" text "$G-qwen2vl-2L-F16.gguf" qwen2vl 2    # text side for llama-mtmd-cli (encode time only)
  python3 "$S/make_gguf.py" mmproj "$M/mmproj-qwen2vl-2b-random-F16.gguf"
  for t in BF16 Q8_0 Q4_0; do "$LB/llama-quantize" "$G-F16.gguf" "$G-$t.gguf" $t 2; done
  gguf_models
}

gguf_models() {   # the pair both engines serve in the gguf-* modes: a 28-layer qwen2vl text GGUF in each type, the mmproj
  export LLAMA_SRC=$ANCHORS/llama.cpp
  python3 "$S/make_gguf.py" text "$G-qwen2vl-F16.gguf" qwen2vl 28
  for t in Q8_0 Q4_0 Q4_K_M Q5_K_M; do "$LB/llama-quantize" "$G-qwen2vl-F16.gguf" "$G-qwen2vl-$t.gguf" $t 2; done
}

mkdir -p "$O"
JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
      -cp "$IRIS/bench/target/iris-bench-0.1.0-SNAPSHOT.jar:$IRIS/bench/target/lib/*")
ts() { date +%H:%M:%S; }
wait_log() { # file pattern timeout -> seconds waited
  local t0=$(date +%s.%N); for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && break; sleep 0.1; done
  python3 -c "import time;print(round(time.time()-$t0,2))"; }
hwm() { grep -E 'VmHWM|VmRSS|RssAnon|RssFile' /proc/$1/status | tr -s ' ' | tr '\n' ' '; echo; }
# The read bandwidth right before and right after a decode measurement, with the server idle: this
# VM's bandwidth moves with its neighbours' load (it has been 30 and 50 GB/s on the same day, and a
# burst after an idle spell reads faster than sustained work), so the decode's share of it is
# judged against what the memory gave at that time, not against the run's opening peak.
membw_around() { OMP_NUM_THREADS=2 OMP_PROC_BIND=close $ANCHORS/bench/membw 2 10 | sed 's/^/bandwidth around decode: /'; }
case $1 in
setup) setup ;;
helpers) write_helpers ;;
gguf-models) gguf_models ;;
all)
  for s in limits; do $0 $s; done
  for r in 1 2 3; do $0 llamabench $r; $0 throughput $r; done
  for r in 1 2 3; do $0 vision-iris $r; $0 vision-llama $r; done
  for r in 1 2 3; do $0 iris-server $r; $0 llama-server $r; done
  for r in 1 2 3; do $0 demo-startup $r; done
  $0 blas-ab
  ANCHORS=$ANCHORS python3 "$S/summarize.py" ;;
summary) ANCHORS=$ANCHORS python3 "$S/summarize.py" ;;
bf16)   # the figures of issue #17, BF16 on both sides, three interleaved rounds (~30 min), then `results`
  rm -rf "$O"; mkdir -p "$O"
  $0 limits
  for r in 1 2 3; do
    $LB/llama-bench -m $G-BF16.gguf -t 2 -p 512 -n 64 -r 1 -o jsonl > $O/llamabench-BF16-r$r.jsonl 2> $O/llamabench-BF16-r$r.err
    $0 throughput $r; $0 vision-iris $r; $0 vision-llama $r; $0 iris-server $r; $0 llama-server $r
  done
  $0 results ;;
results) ANCHORS=$ANCHORS OUT=$O python3 "$(dirname "$0")/results.py" "$IRIS/bench/RESULTS.md" ;;
q8_0|q4_0)   # --quantization $1 vs llama-server on the $1 GGUF, three interleaved rounds (~20 min), then their section
  T=$(echo "$1" | tr a-z A-Z); export OUT=$ANCHORS/out-$1; rm -rf "$OUT"; mkdir -p "$OUT"
  OUT=$OUT $0 limits
  for r in 1 2 3; do
    $LB/llama-bench -m $G-$T.gguf -t 2 -p 512 -n 64 -r 1 -o jsonl > $OUT/llamabench-$T-r$r.jsonl 2> $OUT/llamabench-$T-r$r.err
    OUT=$OUT IRIS_SERVE_ARGS="--quantization $1" $0 iris-server $r; OUT=$OUT Q=$T $0 llama-server $r
  done
  ANCHORS=$ANCHORS OUT=$OUT QTYPE=$T python3 "$(dirname "$0")/results.py" "$IRIS/bench/RESULTS.md" ;;
gguf-q8_0|gguf-q4_0|gguf-q4_k_m|gguf-q5_k_m)   # both engines serve the same GGUF pair (text of that type + F16 mmproj), three rounds
  T=$(echo "${1#gguf-}" | tr a-z A-Z); export OUT=$ANCHORS/out-$1; rm -rf "$OUT"; mkdir -p "$OUT"
  PAIR="$G-qwen2vl-$T.gguf --mmproj $M/mmproj-qwen2vl-2b-random-F16.gguf"
  OUT=$OUT $0 limits
  for r in 1 2 3; do
    $LB/llama-bench -m $G-qwen2vl-$T.gguf -t 2 -p 512 -n 64 -r 1 -o jsonl > $OUT/llamabench-$T-r$r.jsonl 2> $OUT/llamabench-$T-r$r.err
    OUT=$OUT IRIS_MODEL="$PAIR" PROMPT_IDS=1 $0 iris-server $r; OUT=$OUT Q=$T LLAMA_MODEL="$PAIR" $0 llama-server $r
  done
  ANCHORS=$ANCHORS OUT=$OUT QTYPE=$T GGUF=1 python3 "$(dirname "$0")/results.py" "$IRIS/bench/RESULTS.md" ;;
gguf-json)   # structured outputs: both engines on the same Q8_0 GGUF pair, decode free and held to a JSON schema, 3 rounds
  export OUT=$ANCHORS/out-gguf-json; rm -rf "$OUT"; mkdir -p "$OUT"
  export SCHEMA_FILE=$IRIS/bench/src/main/resources/grammar/nested.schema.json
  PAIR="$G-qwen2vl-Q8_0.gguf --mmproj $M/mmproj-qwen2vl-2b-random-F16.gguf"
  for r in 1 2 3; do
    IRIS_JAVA_OPTS="-Xmx8g -Diris.cpu.threads=2" $IRIS/distribution/target/iris/bin/iris serve --model-path $PAIR --port 30111 \
      --disable-radix-cache --max-total-tokens 16384 > $OUT/iris-server-r$r.log 2>&1 & P=$!
    wait_log $OUT/iris-server-r$r.log 'fired up' 600 > /dev/null
    PROMPT_IDS=1 python3 $S/client.py iris 30111 prefill 64 1 > /dev/null
    PROMPT_IDS=1 python3 $S/client.py iris 30111 decode 128 2 | tee -a $OUT/iris-r$r.jsonl
    PROMPT_IDS=1 python3 $S/client.py iris 30111 json 128 3 | tee -a $OUT/iris-r$r.jsonl
    kill $P; wait $P 2>/dev/null
    $LB/llama-server -m $G-qwen2vl-Q8_0.gguf --mmproj $M/mmproj-qwen2vl-2b-random-F16.gguf --host 127.0.0.1 --port 30112 \
      -t 2 -np 16 -c 16384 -cb > $OUT/llama-server-r$r.log 2>&1 & P=$!
    wait_log $OUT/llama-server-r$r.log 'model loaded' 600 > /dev/null
    python3 $S/client.py llama 30112 prefill 64 1 > /dev/null
    python3 $S/client.py llama 30112 decode 128 2 | tee -a $OUT/llama-r$r.jsonl
    python3 $S/client.py llama 30112 json 128 3 | tee -a $OUT/llama-r$r.jsonl
    kill $P; wait $P 2>/dev/null
  done
  python3 - "$OUT" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
rows = {k: [json.loads(l) for f in sorted(glob.glob(f"{out}/{k}-r*.jsonl")) for l in open(f) if l.startswith("{")]
        for k in ("iris", "llama")}
def med(k, mode, cold=None):
    v = [r["decode_tok_s"] for r in rows[k] if r["mode"] == mode and r["decode_tok_s"]
         and (cold is None or (r["rep"] == 0) == cold)]
    return statistics.median(v)
for k in ("iris", "llama"):
    print(f"{k}: free {med(k, 'decode'):.2f} tok/s, schema (warm) {med(k, 'json', False):.2f}, schema (first request)"
          f" {med(k, 'json', True):.2f}, schema/free {med(k, 'json', False) / med(k, 'decode'):.3f}")
print(f"Iris / llama.cpp, decode held to the schema (warm): {med('iris', 'json', False) / med('llama', 'json', False):.2f}")
PY
  ;;
blas-ab)   # Iris with auto-detected OpenBLAS core vs OPENBLAS_CORETYPE=SkylakeX: VisionBench x2 each, server prefill 512 x3 each
  O=$ANCHORS/out/blas-ab; mkdir -p $O
  JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
      -cp "$IRIS/bench/target/iris-bench-0.1.0-SNAPSHOT.jar:$IRIS/bench/target/lib/*")
for r in 1 2; do for c in auto SkylakeX; do
  echo "=== $(date +%T) vision $c r$r"
  cp $IRIS/bench/RESULTS.md $O/vb-$c-r$r.md
  env $([ $c = auto ] || echo OPENBLAS_CORETYPE=$c) "${JAVA[@]}" -Xmx4g -Diris.cpu.threads=2 dev.iris.bench.VisionBench $HF $O/vb-$c-r$r.md 2>&1 | grep "vision tower"
done; done
for c in auto SkylakeX; do
  echo "=== $(date +%T) prefill $c"
  env $([ $c = auto ] || echo OPENBLAS_CORETYPE=$c) IRIS_JAVA_OPTS="-Xmx8g -Diris.cpu.threads=2" $IRIS/distribution/target/iris/bin/iris serve \
    --model-path $HF --port 30114 --disable-radix-cache --max-total-tokens 16384 > $O/server-$c.log 2>&1 & P=$!
  for _ in $(seq 1 1200); do grep -q "fired up" $O/server-$c.log && break; sleep 0.1; done
  python3 $ANCHORS/scripts/client.py iris 30114 prefill 64 1 > /dev/null
  python3 $ANCHORS/scripts/client.py iris 30114 prefill 512 3 | sed "s/^/$c /"
  kill $P; wait $P 2>/dev/null
done
  ;;
limits)
  for t in 1 2; do OMP_NUM_THREADS=$t OMP_PROC_BIND=close $ANCHORS/bench/membw 2 10; done | tee -a $O/limits.txt
  for t in 1 2; do OPENBLAS_NUM_THREADS=$t python3 $ANCHORS/bench/np_gemm.py | sed "s/^/threads=$t /"; done | tee -a $O/limits.txt ;;
llamabench)   # decode tg64 + prefill pp512, 4 formats, 3 reps
  for q in BF16 F16 Q8_0 Q4_0; do
    $LB/llama-bench -m $G-$q.gguf -t 2 -p 512 -n 64 -r ${REPS:-2} -o jsonl > $O/llamabench-$q-r$R.jsonl 2> $O/llamabench-$q-r$R.err
    echo "$(ts) $q done"; done ;;
throughput)   # Iris engine decode, 1/4/16 streams, 64 new tokens
  cp $IRIS/bench/RESULTS.md $O/tb-results-r$R.md
  "${JAVA[@]}" -Xmx4g -Diris.cpu.threads=2 dev.iris.bench.ThroughputBench $HF $O/tb-results-r$R.md 64 2>&1 | grep -v WARNING | tee $O/throughput-r$R.txt ;;
vision-iris)
  cp $IRIS/bench/RESULTS.md $O/vb-results-r$R.md
  "${JAVA[@]}" -Xmx4g -Diris.cpu.threads=2 dev.iris.bench.VisionBench $HF $O/vb-results-r$R.md 2>&1 | grep -v WARNING | tee $O/vision-iris-r$R.txt ;;
vision-llama)
  $LB/llama-mtmd-cli -m $G-qwen2vl-2L-F16.gguf --mmproj $M/mmproj-qwen2vl-2b-random-F16.gguf -t 2 \
    --image $IRIS/testdata/images/gradient_640x480.png -p "Describe this image." -n 4 --temp 0 -c 4096 \
    > $O/vision-llama-r$R.txt 2>&1
  grep -E "encoded in|decoded|image_tokens|n_tokens|batch_f32|load_hparams: (n_|image)" $O/vision-llama-r$R.txt | head -20 ;;
iris-server)  # one Iris server run: startup, decode x2 (128 new), prefill 512 x3, batch16 x2 (64 new); RSS
  IRIS_JAVA_OPTS="-Xmx8g -Diris.cpu.threads=2" $IRIS/distribution/target/iris/bin/iris serve --model-path ${IRIS_MODEL:-$HF} --port 30111 \
    --disable-radix-cache --max-total-tokens 16384 ${IRIS_SERVE_ARGS:-} > $O/iris-server-r$R.log 2>&1 & P=$!
  echo "iris pid $P ready after $(wait_log $O/iris-server-r$R.log 'fired up' 600) s" | tee $O/iris-run-r$R.txt
  hwm $P | sed 's/^/after start: /' | tee -a $O/iris-run-r$R.txt
  python3 $ANCHORS/scripts/client.py iris 30111 prefill 64 1 > /dev/null   # warm
  membw_around | tee -a $O/iris-run-r$R.txt
  python3 $ANCHORS/scripts/client.py iris 30111 decode 128 2 | tee -a $O/iris-run-r$R.txt
  membw_around | tee -a $O/iris-run-r$R.txt
  python3 $ANCHORS/scripts/client.py iris 30111 prefill 512 3 | tee -a $O/iris-run-r$R.txt
  python3 $ANCHORS/scripts/client.py iris 30111 batch 16 64 2 | tee -a $O/iris-run-r$R.txt
  hwm $P | sed 's/^/end: /' | tee -a $O/iris-run-r$R.txt
  kill $P; wait $P 2>/dev/null ;;
llama-server) # llama-server BF16, -np 16 -c 16384: decode x2 (128), prefill 512 x3, batch16 x2 (64); RSS
  $LB/llama-server -m ${LLAMA_MODEL:-$G-${Q:-BF16}.gguf} --host 127.0.0.1 --port 30112 -t 2 -np 16 -c 16384 -cb \
    > $O/llama-server-${Q:-BF16}-r$R.log 2>&1 & P=$!
  echo "llama pid $P ready after $(wait_log $O/llama-server-${Q:-BF16}-r$R.log 'model loaded' 600) s" | tee $O/llama-run-${Q:-BF16}-r$R.txt
  hwm $P | sed 's/^/after start: /' | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  python3 $ANCHORS/scripts/client.py llama 30112 prefill 64 1 > /dev/null
  membw_around | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  python3 $ANCHORS/scripts/client.py llama 30112 decode 128 2 | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  membw_around | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  python3 $ANCHORS/scripts/client.py llama 30112 prefill 512 3 | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  python3 $ANCHORS/scripts/client.py llama 30112 batch 16 64 2 | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  hwm $P | sed 's/^/end: /' | tee -a $O/llama-run-${Q:-BF16}-r$R.txt
  kill $P; wait $P 2>/dev/null ;;
demo-startup) # Iris bundled demo model: time to ready
  $IRIS/distribution/target/iris/bin/iris serve --port 30113 > $O/iris-demo-r$R.log 2>&1 & P=$!
  echo "demo ready after $(wait_log $O/iris-demo-r$R.log 'fired up' 300) s; $(hwm $P)" | tee -a $O/demo-startup.txt
  kill $P; wait $P 2>/dev/null ;;
esac
