package dev.iris.cli;

import dev.iris.cli.Flag.Effect;
import dev.iris.cli.Flag.Type;

import java.util.List;

/**
 * Every flag of SGLang 0.4.4's {@code launch_server}, in its order and with its defaults (contract
 * §8.2), then Iris's own. {@link Effect#N} flags are accepted so launch scripts carry over; {@link
 * Effect#R} flags refuse what Iris cannot do.
 */
final class ServerFlags {

    private ServerFlags() {
    }

    static final List<Flag> ALL = List.of(
            e("model-path", Type.STRING, null, "Hugging Face model directory, Hub repo id, or a GGUF file (default: the demo model)"),
            e("tokenizer-path", Type.STRING, null, "directory with tokenizer.json (default: the model path)"),
            n("tokenizer-mode", Type.STRING, "auto", "auto|slow"),
            e("skip-tokenizer-init", Type.BOOL, null, "load no tokenizer: /generate takes input_ids and returns output_ids"),
            r("load-format", Type.STRING, "auto", "auto|safetensors|gguf"),
            n("trust-remote-code", Type.BOOL, null, "no remote code is ever run"),
            r("dtype", Type.STRING, "auto", "auto or the checkpoint's own dtype (weights as stored; BF16 weights"
                    + " multiply BF16-rounded activations where the CPU has BF16 dot products), or float32 (F32 products)"),
            r("kv-cache-dtype", Type.STRING, "auto", "auto|bf16|fp32: K/V storage (auto: bf16 on the CPU, fp32 on CUDA)"),
            r("quantization", Type.STRING, null, "q8_0|q4_0: the language model's linear weights quantized at load"
                    + " to llama.cpp's block format, on the cpu device"),
            r("quantization-param-path", Type.STRING, null, "not supported"),
            e("context-length", Type.INT, null, "the model's context length (default: from config.json)"),
            e("device", Type.STRING, "cpu", "cpu|cuda"),
            e("served-model-name", Type.STRING, null, "the id /v1/models lists (default: the model path)"),
            e("chat-template", Type.STRING, null, "a built-in template name (default: inferred from the model)"),
            r("is-embedding", Type.BOOL, null, "embedding models are not supported"),
            e("revision", Type.STRING, null, "branch, tag or commit of a Hub model (default main)"),
            e("host", Type.STRING, "127.0.0.1", "address to listen on"),
            e("port", Type.INT, "30000", "port to listen on"),
            e("mem-fraction-static", Type.FLOAT, null, "share of the free memory the K/V cache may grow to (default 0.8)"),
            e("max-running-requests", Type.INT, null, "requests decoding together at most (default 200)"),
            e("max-total-tokens", Type.INT, null, "K/V cache size in tokens (default: max-running-requests × context, capped by memory)"),
            e("chunked-prefill-size", Type.INT, "8192", "prompt tokens per step; -1 disables chunking"),
            e("max-prefill-tokens", Type.INT, "16384", "prompt tokens per step at most"),
            e("schedule-policy", Type.STRING, "fcfs", "fcfs|lpm (random, dfs-weight: fcfs)"),
            n("schedule-conservativeness", Type.FLOAT, "1.0", ""),
            n("cpu-offload-gb", Type.INT, "0", ""),
            e("page-size", Type.INT, "1", "tokens per K/V page"),
            r("tp-size", Type.INT, "1", "tensor parallelism: 1 only").alias("tensor-parallel-size"),
            e("stream-interval", Type.INT, "1", "tokens per streamed chunk"),
            n("stream-output", Type.BOOL, null, ""),
            e("random-seed", Type.INT, null, "seed of requests that give none (default: random)"),
            e("constrained-json-whitespace-pattern", Type.STRING, null,
                    "regex of the whitespace JSON output may hold between its tokens (default [ \\t\\n]{0,20})"),
            e("watchdog-timeout", Type.FLOAT, "300", "seconds one batch may take before the server exits"),
            n("dist-timeout", Type.INT, null, ""),
            e("download-dir", Type.STRING, null, "Hugging Face cache to download into (default: HF_HUB_CACHE or HF_HOME)"),
            n("base-gpu-id", Type.INT, "0", ""),
            n("gpu-id-step", Type.INT, "1", ""),
            e("log-level", Type.STRING, "info", "debug|info|warning|error"),
            e("log-level-http", Type.STRING, null, "log level of the HTTP access log (default: --log-level)"),
            e("log-requests", Type.BOOL, null, "log each request's input and output"),
            n("log-requests-level", Type.INT, "0", "0|1|2"),
            n("show-time-cost", Type.BOOL, null, ""),
            e("enable-metrics", Type.BOOL, null, "serve Prometheus metrics at /metrics"),
            e("decode-log-interval", Type.INT, "40", "decode steps between two decode log lines"),
            e("api-key", Type.STRING, null, "require Authorization: Bearer KEY"),
            n("file-storage-path", Type.STRING, "sglang_storage", ""),
            e("enable-cache-report", Type.BOOL, null, "report cached prompt tokens in usage"),
            n("reasoning-parser", Type.STRING, null, ""),
            r("dp-size", Type.INT, "1", "data parallelism: 1 only").alias("data-parallel-size"),
            n("load-balance-method", Type.STRING, "round_robin", ""),
            r("ep-size", Type.INT, "1", "expert parallelism: 1 only").alias("expert-parallel-size"),
            r("dist-init-addr", Type.STRING, null, "multi-node: not supported").alias("nccl-init-addr"),
            r("nnodes", Type.INT, "1", "multi-node: 1 only"),
            r("node-rank", Type.INT, "0", "multi-node: 0 only"),
            e("json-model-override-args", Type.STRING, "{}", "JSON merged into config.json"),
            r("lora-paths", Type.LIST, null, "LoRA adapters: not supported"),
            n("max-loras-per-batch", Type.INT, "8", ""),
            n("lora-backend", Type.STRING, "triton", ""),
            n("attention-backend", Type.STRING, null, ""),
            n("sampling-backend", Type.STRING, null, ""),
            n("grammar-backend", Type.STRING, "xgrammar", "Iris has one grammar engine (per-state token masks, as xgrammar)"),
            r("speculative-algorithm", Type.STRING, null, "speculative decoding: not supported"),
            r("speculative-draft-model-path", Type.STRING, null, "speculative decoding: not supported"),
            n("speculative-num-steps", Type.INT, "5", ""),
            n("speculative-eagle-topk", Type.INT, "8", ""),
            n("speculative-num-draft-tokens", Type.INT, "64", ""),
            n("enable-double-sparsity", Type.BOOL, null, ""),
            n("ds-channel-config-path", Type.STRING, null, ""),
            n("ds-heavy-channel-num", Type.INT, "32", ""),
            n("ds-heavy-token-num", Type.INT, "256", ""),
            n("ds-heavy-channel-type", Type.STRING, "qk", ""),
            n("ds-sparse-decode-threshold", Type.INT, "4096", ""),
            e("disable-radix-cache", Type.BOOL, null, "no prefix cache"),
            n("disable-cuda-graph", Type.BOOL, null, ""),
            n("disable-cuda-graph-padding", Type.BOOL, null, ""),
            n("enable-nccl-nvls", Type.BOOL, null, ""),
            n("disable-outlines-disk-cache", Type.BOOL, null, ""),
            n("disable-custom-all-reduce", Type.BOOL, null, ""),
            n("disable-mla", Type.BOOL, null, ""),
            n("disable-overlap-schedule", Type.BOOL, null, ""),
            n("enable-mixed-chunk", Type.BOOL, null, ""),
            n("enable-dp-attention", Type.BOOL, null, ""),
            n("enable-ep-moe", Type.BOOL, null, ""),
            n("enable-torch-compile", Type.BOOL, null, ""),
            n("torch-compile-max-bs", Type.INT, "32", ""),
            n("cuda-graph-max-bs", Type.INT, null, ""),
            n("cuda-graph-bs", Type.LIST, null, ""),
            n("torchao-config", Type.STRING, "", ""),
            n("enable-nan-detection", Type.BOOL, null, ""),
            n("enable-p2p-check", Type.BOOL, null, ""),
            n("triton-attention-reduce-in-fp32", Type.BOOL, null, ""),
            n("triton-attention-num-kv-splits", Type.INT, "8", ""),
            n("num-continuous-decode-steps", Type.INT, "1", ""),
            n("delete-ckpt-after-loading", Type.BOOL, null, ""),
            n("enable-memory-saver", Type.BOOL, null, ""),
            n("allow-auto-truncate", Type.BOOL, null, "prompts that do not fit are refused (contract: MAY truncate)"),
            n("enable-custom-logit-processor", Type.BOOL, null, ""),
            e("disable-playground", Type.BOOL, null, "do not serve the web playground at /"),
            e("grammar-cache-size", Type.INT, "64", "compiled output constraints (schemas, regexes, grammars) kept for reuse"),
            e("grammar-cache-mib", Type.INT, "512", "memory their token masks may hold; the least recently used go first"),
            e("tool-call-parser", Type.STRING, null, "qwen25|mistral|llama3: return the calls a model writes as tool_calls"),
            n("enable-hierarchical-cache", Type.BOOL, null, ""),
            n("enable-flashinfer-mla", Type.BOOL, null, ""),
            n("flashinfer-mla-disable-ragged", Type.BOOL, null, ""),
            n("warmups", Type.STRING, null, ""),
            n("debug-tensor-dump-output-folder", Type.STRING, null, ""),
            n("debug-tensor-dump-input-file", Type.STRING, null, ""),
            n("debug-tensor-dump-inject", Type.STRING, "false", ""),
            // Iris and vLLM additions.
            e("allowed-local-media-path", Type.LIST, null, "directories image_url may read files from"),
            e("allowed-media-domains", Type.STRING, null, "comma-separated hosts image URLs may name (default: any public)"),
            e("allow-private-media-urls", Type.BOOL, null, "let image URLs reach loopback and private addresses"),
            e("limit-mm-per-prompt", Type.STRING, "image=30", "images per request at most, as image=N"),
            e("min-pixels", Type.INT, null, "Qwen2-VL: smallest image area after resizing (default: preprocessor_config.json)"),
            e("max-pixels", Type.INT, null, "Qwen2-VL: largest image area after resizing; requests may ask for less"),
            e("max-cached-tokens", Type.INT, null, "tokens of finished requests' K/V the prefix cache keeps (default: two contexts, at least 16384)"),
            e("image-cache-size", Type.INT, "512", "MiB of vision-tower outputs kept for repeated images; 0: none"),
            e("max-queued-requests", Type.INT, "4096", "requests waiting for admission at most (then 503)"),
            e("max-request-bytes", Type.INT, "67108864", "largest request body (then 413)"),
            e("max-image-bytes", Type.INT, "20971520", "largest image, encoded, from a URL, data URL or file (then 400)"),
            e("max-messages", Type.INT, "4096", "chat messages per request at most (then 400)"),
            e("max-content-parts", Type.INT, "4096", "content parts (text and images) per request at most (then 400)"),
            e("keep-alive-timeout", Type.FLOAT, "60", "seconds an idle connection stays open"),
            e("request-header-timeout", Type.FLOAT, "30", "seconds a request's line and headers may take (then 408)"),
            e("request-body-timeout", Type.FLOAT, "30", "longest pause in seconds within a request body (then 408)"),
            e("stream-stall-timeout", Type.FLOAT, "60", "seconds a stream may go unread before it is aborted"),
            e("graceful-shutdown-timeout", Type.FLOAT, "30", "seconds requests in flight may finish after SIGTERM"),
            e("mmproj", Type.STRING, null, "the vision projector GGUF that goes with a GGUF --model-path (llama-server's flag)"),
            e("plugins-dir", Type.STRING, null, "plugin jars to load (default: plugins/ next to bin/)"),
            e("plugin-host", Type.STRING, "jpms", "jpms|osgi"),
            e("help", Type.BOOL, null, "this text"));

    private static Flag e(String name, Type type, String defaultValue, String help) {
        return Flag.of(name, type, defaultValue, Effect.E, help);
    }

    private static Flag n(String name, Type type, String defaultValue, String help) {
        return Flag.of(name, type, defaultValue, Effect.N, help);
    }

    private static Flag r(String name, Type type, String defaultValue, String help) {
        return Flag.of(name, type, defaultValue, Effect.R, help);
    }
}
