#!/usr/bin/env python3
"""Writes the "Iris vs llama.cpp" section of bench/RESULTS.md from a run of llamacpp-compare.sh.

usage: ANCHORS=<scratch dir> results.py bench/RESULTS.md
Reads $ANCHORS/out (the files the script's steps write), takes medians of the rounds, and states
the machine, its CPU flags, the kernels Iris chose (its start-up line) and llama.cpp's build, every
figure of both engines and the ratios the CPU-speed issue sets targets on.
"""
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

OUT = os.environ.get("OUT") or os.path.join(os.environ["ANCHORS"], "out")
QTYPE = os.environ.get("QTYPE", "BF16")  # BF16: the `bf16` rounds; Q8_0/Q4_0: `--quantization` against that GGUF
SAME_FILE = os.environ.get("GGUF") == "1"  # the gguf-* modes: both engines serve the same GGUF pair
# The text GGUF of that type: the weights a decode step reads (both engines)
TEXT_BYTES = os.path.getsize(os.path.join(os.environ["ANCHORS"], "models",
                                          f"qwen2vl-2b-text-random-{'qwen2vl-' if SAME_FILE else ''}{QTYPE}.gguf"))


def median(xs):
    return statistics.median(xs) if xs else None


def read(pattern):
    return [open(f).read() for f in sorted(glob.glob(os.path.join(OUT, pattern)))]


def jsonl(pattern):
    return [json.loads(l) for t in read(pattern) for l in t.splitlines() if l.startswith("{")]


def cpu():
    model, flags = "unknown", []
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and model == "unknown":
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            have = line.split(":", 1)[1].split()
            flags = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                                 "amx_bf16", "amx_int8") if f in have]
    return model, flags


def commit(results_md):
    """The Iris checkout's commit (the one measured: the script runs that checkout's build)."""
    try:
        return subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(results_md)), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"


def main(results_md):
    bench = jsonl(f"llamabench-{QTYPE}-r*.jsonl")
    pp = median([s for j in bench if j["n_gen"] == 0 for s in j["samples_ts"]])
    tg = median([s for j in bench if j["n_prompt"] == 0 for s in j["samples_ts"]])
    engine = {}
    for t in read("throughput-r*.txt"):
        for m in re.finditer(r"(\d+) streams: ([\d.]+) tokens/s", t):
            engine.setdefault(int(m.group(1)), []).append(float(m.group(2)))
    tower = median([float(m.group(1)) for t in read("vision-iris-r*.txt")
                    for m in [re.search(r"vision tower[^|]*\|\s*([\d.]+) s", t)] if m])
    mtmd = median([int(m.group(1)) / 1000 for t in read("vision-llama-r*.txt")
                   for m in [re.search(r"batch encoding done in (\d+) ms", t)] if m])

    def server(prefix):
        runs = jsonl(prefix + "-r*.txt")
        pick = lambda mode, key: median([j[key] for j in runs if j["mode"] == mode])
        hwm = [int(m.group(1)) / 2**20 for t in read(prefix + "-r*.txt")
               for m in re.finditer(r"end: VmHWM:\s+(\d+) kB", t)]
        ready = [float(m.group(1)) for t in read(prefix + "-r*.txt") for m in re.finditer(r"ready after ([\d.]+) s", t)]
        around = [float(m.group(1)) for t in read(prefix + "-r*.txt")
                  for m in re.finditer(r"bandwidth around decode: threads=2 size=\S+ GiB reps=\d+ best=([\d.]+) GB/s", t)]
        return {"decode": pick("decode", "decode_tok_s"), "ttft": pick("decode", "ttft_s"), "bw": median(around),
                "prefill": pick("prefill", "prefill_tok_s_wall"), "batch": pick("batch", "aggregate_tok_s_steady"),
                "hwm": median(hwm), "ready": median(ready)}

    iris, llama = server("iris-run"), server(f"llama-run-{QTYPE}")
    bw = [float(m.group(1)) for t in read("limits.txt") for m in re.finditer(r"threads=2 size=\S+ GiB reps=\d+ best=([\d.]+) GB/s", t)]
    read_bw = max(bw) if bw else None
    kernels = next((m.group(1) for t in read("iris-server-r*.log")
                    for m in [re.search(r"Compute backend: (.*)", t)] if m), "not logged")
    build = next((f"{j.get('build_commit', '?')} (build {j.get('build_number', '?')})" for j in bench), "?")
    model, flags = cpu()

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "–"

    def fmt(v, unit=""):
        return "–" if v is None else f"{v:.2f}{unit}"

    rows = [
        ("prefill, 512-token prompt, tok/s (HTTP, wall)", iris["prefill"], llama["prefill"],
         ratio(iris["prefill"], llama["prefill"]), "≥ 1.2"),
        ("prefill, 512 tokens, tok/s: Iris HTTP vs llama-bench pp512", iris["prefill"], pp, ratio(iris["prefill"], pp), ""),
        ("16 streams, aggregate decode tok/s (HTTP, steady)", iris["batch"], llama["batch"],
         ratio(iris["batch"], llama["batch"]), "≥ 1.2"),
        ("decode at batch 1, tok/s (HTTP)", iris["decode"], llama["decode"], ratio(iris["decode"], llama["decode"]), "≥ 1.0"),
        ("decode at batch 1, tok/s (engine vs llama-bench tg64)", median(engine.get(1, [])), tg,
         ratio(median(engine.get(1, [])), tg), ""),
        ("16 streams, engine tok/s (ThroughputBench)", median(engine.get(16, [])), None, "", ""),
        ("vision tower, 640×480 image, s (time ratio)", tower, mtmd, ratio(tower, mtmd), "≤ 0.7"),
        ("time to first token, 32-token prompt, s (time ratio)", iris["ttft"], llama["ttft"],
         ratio(iris["ttft"], llama["ttft"]), "≤ 1.0"),
        ("peak RSS serving the 2B model, 16k K/V, GiB (ratio)", iris["hwm"], llama["hwm"], ratio(iris["hwm"], llama["hwm"]),
         "≤ 1.2"),
        ("start-up to ready, s", iris["ready"], llama["ready"], ratio(iris["ready"], llama["ready"]), ""),
    ]
    def share(engine, bw):
        return engine["decode"] * TEXT_BYTES / 1e9 / bw * 100 if engine["decode"] and bw else None

    title = f"## Iris vs llama.cpp ({'the same GGUF, ' if SAME_FILE else ''}{QTYPE}, 2 threads)"
    if QTYPE != "BF16":  # only the server figures (the engine and tower runs are the BF16 rounds'), the GGUF issue's targets
        quantized_targets = {"prefill, 512-token prompt, tok/s (HTTP, wall)": "≥ 1.0",
                             "16 streams, aggregate decode tok/s (HTTP, steady)": "≥ 1.0",
                             "decode at batch 1, tok/s (HTTP)": "≥ 1.0"}
        rows = [(name, a, b, r, quantized_targets.get(name, "")) for name, a, b, r, _ in rows
                if a is not None or b is not None]
    how = ("BF16 weights on both sides" if QTYPE == "BF16" else
           f"both serve the same {QTYPE} text GGUF with its F16 mmproj (`--mmproj`); llama-bench reads that text GGUF"
           if SAME_FILE else
           f"Iris serves the BF16 checkpoint with `--quantization {QTYPE.lower()}`, llama.cpp the {QTYPE} GGUF of it")
    lines = [
        title,
        "",
        f"`bench/compare/llamacpp-compare.sh {'gguf-' if SAME_FILE else ''}{QTYPE.lower()}`, {datetime.date.today()}, "
        f"Iris at {commit(results_md)}, medians of 3 interleaved rounds; "
        f"{how}.",
        f"Machine: {model}, {os.cpu_count()} cores; flags: {' '.join(flags)}. "
        f"Iris kernels: {kernels}. llama.cpp: {build}, GGML_NATIVE.",
        "",
        "| figure | Iris | llama.cpp | ratio (Iris ÷ llama.cpp) | target |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [f"| {name} | {fmt(a)} | {fmt(b)} | {r} | {t} |" for name, a, b, r, t in rows]
    lines += ["", f"Decode at batch 1 over HTTP reads {fmt(share(iris, iris['bw']), '%')} of the read bandwidth measured "
                  f"right before and after it (median {fmt(iris['bw'], ' GB/s')}, 2 threads, best of 10 each); "
                  f"llama-server's decode reads {fmt(share(llama, llama['bw']), '%')} of its own "
                  f"({fmt(llama['bw'], ' GB/s')}). Against the run's opening peak ({fmt(read_bw, ' GB/s')}) the shares are "
                  f"{fmt(share(iris, read_bw), '%')} and {fmt(share(llama, read_bw), '%')}."]
    section = "\n".join(lines).rstrip() + "\n"

    text = open(results_md).read()
    start = text.find(title)
    if start >= 0:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    open(results_md, "w").write(text)
    print(section)


if __name__ == "__main__":
    main(sys.argv[1])
