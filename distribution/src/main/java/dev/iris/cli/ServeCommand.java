package dev.iris.cli;

import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.DType;
import dev.iris.http.ConnectionLimits;
import dev.iris.http.IrisServer;
import dev.iris.http.MessageLimits;
import dev.iris.http.Readiness;
import dev.iris.http.ServedModel;
import dev.iris.runtime.grammar.GrammarOptions;
import dev.iris.http.ServerOptions;
import dev.iris.http.TemplateLookup;
import dev.iris.runtime.plugin.PluginInfo;
import dev.iris.runtime.plugin.PluginKind;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.SchedulePolicy;
import dev.iris.runtime.engine.Watchdog;
import dev.iris.runtime.gguf.GgufCheckpoint;
import dev.iris.runtime.hub.HubDownloader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.plugin.PluginInfo;
import dev.iris.runtime.plugin.PluginKind;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.stop.StopConditions;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code iris serve}: SGLang's {@code launch_server} for Iris. Parses SGLang's flags, loads the
 * model through the plugins, sends itself SGLang's warm-up request, opens the port, says
 * {@code The server is fired up and ready to roll!}, and on SIGTERM or SIGINT drains and exits 0.
 */
final class ServeCommand {

    private static final System.Logger LOG = System.getLogger(ServeCommand.class.getName());

    /** The id the bundled demo model is listed under, so nobody mistakes its answers for a real model's. */
    static final String DEMO_NAME = "iris-demo-random-weights";

    private ServeCommand() {
    }

    static int run(List<String> args, Path home, PrintStream out, PrintStream err) throws IOException {
        ServerArgs a = ServerArgs.parse(args);
        if (a.help()) {
            out.print(ServerArgs.helpText());
            return 0;
        }
        ConsoleLog.configure(a.string("log-level"), a.string("log-level-http"), err);
        boolean demo = a.string("model-path") == null;
        String modelPath = demo ? home.resolve("models/iris-demo").toString() : a.string("model-path");
        String tokenizerPath = a.string("tokenizer-path") == null ? modelPath : a.string("tokenizer-path");
        String servedName = a.string("served-model-name") != null ? a.string("served-model-name")
                : demo ? DEMO_NAME : modelPath;
        long seed = a.longValue("random-seed") != null ? a.longValue("random-seed")
                : ThreadLocalRandom.current().nextLong(1L << 30);
        Map<String, Object> resolved = new LinkedHashMap<>();
        resolved.put("model-path", modelPath);
        resolved.put("tokenizer-path", tokenizerPath);
        resolved.put("served-model-name", servedName);
        resolved.put("random-seed", seed);
        LOG.log(System.Logger.Level.INFO, a.describe(resolved));
        if (FLOAT32.equals(canonicalDtype(a.string("dtype")))) {
            // Read by the CPU backend when the plugin registry creates it, below.
            System.setProperty("iris.cpu.bf16-dot", "false");
        }
        a.ignored().forEach(line -> LOG.log(System.Logger.Level.WARNING, line));
        if (demo) {
            LOG.log(System.Logger.Level.WARNING, "No --model-path given: serving the bundled demo model '" + DEMO_NAME
                    + "' (a tiny Qwen2-VL with random weights: it runs the whole pipeline, its answers are noise). "
                    + "Serve a real model with --model-path DIR.");
        }
        Path dir = modelDirectory(modelPath, a.string("revision"), a.string("download-dir"), err);
        if (!a.given("tokenizer-path")) {
            tokenizerPath = dir.toString();
        }
        Path pluginsDir = Path.of(a.string("plugins-dir") == null ? home.resolve("plugins").toString() : a.string("plugins-dir"));
        PluginHostType host;
        try {
            host = PluginHostType.parse(a.string("plugin-host"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(pluginsDir, host))) {
            logPlugins(plugins, host, pluginsDir);
            return serve(a, plugins, dir, tokenizerPath, servedName, seed, demo, resolved, err);
        }
    }

    /** A local model directory or GGUF file, or a Hub repo id's snapshot in the cache (downloaded if missing). */
    static Path modelDirectory(String modelPath, String revision, String downloadDir, PrintStream err) throws IOException {
        Path dir = Path.of(modelPath);
        if (GgufCheckpoint.isGguf(dir)) {
            return dir;
        }
        if (!Files.isDirectory(dir) && HubDownloader.isRepoId(modelPath)) {
            return DownloadCommand.fetch(modelPath, revision, downloadDir, err);
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(modelPath + " is neither a local model directory (config.json, tokenizer.json,"
                    + " *.safetensors), nor a GGUF file, nor a Hugging Face repository id (org/name)");
        }
        return dir;
    }

    private static int serve(ServerArgs a, PluginRegistry plugins, Path dir, String tokenizerPath, String servedName,
                             long seed, boolean demo, Map<String, Object> resolved, PrintStream err) throws IOException {
        MediaOptions media = mediaOptions(a);
        ServerOptions options;
        try {
            ConnectionLimits connections = new ConnectionLimits(seconds(a, "keep-alive-timeout"),
                    seconds(a, "request-header-timeout"), seconds(a, "request-body-timeout"),
                    seconds(a, "stream-stall-timeout"), ConnectionLimits.DEFAULTS.streamBuffer(),
                    seconds(a, "graceful-shutdown-timeout"));
            options = new ServerOptions(a.string("host"), a.integer("port", 30000), a.string("api-key"),
                    a.bool("enable-metrics"), a.bool("enable-cache-report"), a.integer("max-queued-requests", 4096),
                    a.longValue("max-request-bytes"), media, a.bool("log-requests"), a.integer("stream-interval", 1),
                    a.string("tool-call-parser"), connections,
                    new MessageLimits(a.integer("max-messages", 4096), a.integer("max-content-parts", 4096)),
                    new GrammarOptions(a.string("constrained-json-whitespace-pattern"),
                            a.integer("grammar-cache-size", GrammarOptions.DEFAULTS.cacheSize()),
                            a.integer("grammar-cache-mib", GrammarOptions.DEFAULTS.cacheMib())),
                    !a.bool("disable-playground"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        EngineOptions engineOptions = engineOptions(a, seed);
        LoadedModel.Overrides overrides = new LoadedModel.Overrides(a.string("json-model-override-args"),
                pixelSettings(a), a.given("tokenizer-path") ? Path.of(tokenizerPath) : null, a.bool("skip-tokenizer-init"),
                quantization(a), a.string("mmproj") == null ? null : Path.of(a.string("mmproj")));
        try (LoadedModel loaded = LoadedModel.load(dir, plugins, a.string("device"), overrides,
                new LoadBar(err, System.console() != null))) {
            checkDtype(a.string("dtype"), loaded);
            LOG.log(System.Logger.Level.INFO, "Compute backend: " + loaded.compute().description());
            ChatTemplate template = TemplateChoice.choose(a.string("chat-template"), plugins, loaded);
            Sampler sampler = plugins.require(Sampler.class, "default");
            try (Engine engine = loaded.newEngine(sampler, engineOptions);
                 Watchdog watchdog = watchdog(engine, a.number("watchdog-timeout", 300))) {
                int context = engine.contextLength();
                LOG.log(System.Logger.Level.INFO, engine.kvBudget().reason());
                LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "max_total_num_tokens=%d, "
                                + "chunked_prefill_size=%s, max_prefill_tokens=%d, max_running_requests=%d, context_len=%d",
                        engine.pages().tokenCapacity(), engineOptions.prefillStepSeconds() > 0 ? String.format(Locale.ROOT,
                                "auto (steps of about %.0f s at the measured prefill speed, at most %d tokens)",
                                engineOptions.prefillStepSeconds(), engineOptions.chunkedPrefillSize())
                                : String.valueOf(a.integer("chunked-prefill-size", 8192)),
                        a.integer("max-prefill-tokens", 16384), engineOptions.maxRunningRequests(), context));
                ImageProcessor images = loaded.model().imageProcessor();
                if (images != null) {
                    LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT,
                            "Image tokens: at most %d per image, %d per request (%d images at most).",
                            images.maxPromptTokens(), (long) images.maxPromptTokens() * media.maxImages(),
                            media.maxImages()));
                }
                Readiness readiness = Readiness.warmingUp();
                CompletableFuture<GenerationResult> warmUp = warmUp(engine, loaded); // runs while the port opens
                TemplateLookup byName = new TemplateLookup() {
                    @Override
                    public Optional<ChatTemplate> find(String name) {
                        return name.equals(template.name()) ? Optional.of(template) : plugins.find(ChatTemplate.class, name);
                    }

                    @Override
                    public List<String> names() {
                        return java.util.stream.Stream.concat(java.util.stream.Stream.of(template.name()), plugins.all().stream()
                                .filter(p -> p.kind() == PluginKind.CHAT_TEMPLATE).map(PluginInfo::name)).distinct().sorted().toList();
                    }
                };
                ServedModel model = new ServedModel(servedName, dir.toString(), tokenizerPath, engine, loaded.tokenizer(),
                        template, byName, images, loaded.eosTokenIds(), context, loaded.weightFormat());
                CountDownLatch stop = new CountDownLatch(1);
                for (String signal : List.of("TERM", "INT")) {
                    Signal.handle(new Signal(signal), s -> stop.countDown());
                }
                AtomicBoolean failed = new AtomicBoolean();
                resolved.put("chat-template", template.name());
                resolved.put("context-length", context);
                resolved.put("mem-fraction-static", engineOptions.memFraction());
                resolved.put("max-running-requests", engineOptions.maxRunningRequests());
                resolved.put("max-total-tokens", engine.pages().tokenCapacity());
                resolved.put("kv-cache-dtype", engine.kvCacheDtype() == DType.BF16 ? "bf16" : "fp32");
                try (IrisServer server = IrisServer.start(model, options, readiness, a.values(resolved))) {
                    LOG.log(System.Logger.Level.INFO, "Serving " + servedName + (demo ? " (demo model, random weights)" : "")
                            + " at http://" + options.host() + ":" + server.port());
                    LOG.log(System.Logger.Level.INFO, "The server is fired up and ready to roll!");
                    warmUp.whenComplete((r, e) -> {
                        if (e == null) {
                            readiness.warmedUp();
                            LOG.log(System.Logger.Level.INFO, "Warm-up done: " + r.outputIds().length
                                    + " tokens generated; /health answers 200.");
                            ClassDataArchive.markReady();
                        } else {
                            LOG.log(System.Logger.Level.ERROR, "Initialization failed. warmup error: "
                                    + (e.getCause() != null ? e.getCause() : e).getMessage());
                            failed.set(true);
                            stop.countDown();
                        }
                    });
                    stop.await();
                    if (!failed.get()) {
                        LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "Shutting down: new requests get"
                                + " 503; %d in flight may finish for up to %s s (--graceful-shutdown-timeout), then end"
                                + " with an error.", server.inFlight(), options.shutdownGrace().toMillis() / 1000.0));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (failed.get()) {
                    return 1;
                }
            }
        }
        return 0;
    }

    /** SGLang's watchdog, on progress: a hung step fails every waiting request, then the process exits 1. */
    private static Watchdog watchdog(Engine engine, double timeoutSeconds) {
        if (!(timeoutSeconds > 0) || Double.isInfinite(timeoutSeconds)) {
            throw new UsageException("argument --watchdog-timeout: must be positive, got " + timeoutSeconds);
        }
        return new Watchdog(engine, Duration.ofMillis((long) (timeoutSeconds * 1000)), Duration.ofSeconds(2),
                () -> Runtime.getRuntime().halt(1));
    }

    private static void logPlugins(PluginRegistry plugins, PluginHostType host, Path dir) {
        for (PluginInfo p : plugins.all()) {
            LOG.log(System.Logger.Level.INFO, "Plugin " + p.kind().label() + " '" + p.name() + "' from " + p.module()
                    + " " + p.version());
        }
        plugins.problems().forEach(p -> LOG.log(System.Logger.Level.WARNING, "Plugin skipped: " + p));
        LOG.log(System.Logger.Level.INFO, plugins.all().size() + " plugins (plugin host: "
                + host.name().toLowerCase(Locale.ROOT) + ", plugins directory: " + dir + ")");
    }

    /** {@code --min-pixels}/{@code --max-pixels} as preprocessor settings (Qwen2-VL's names). */
    private static String pixelSettings(ServerArgs a) {
        StringBuilder json = new StringBuilder("{");
        for (String key : List.of("min-pixels", "max-pixels")) {
            Long v = a.longValue(key);
            if (v != null) {
                if (v < 1) {
                    throw new UsageException("argument --" + key + ": must be positive, got " + v);
                }
                json.append(json.length() > 1 ? "," : "").append('"').append(key.replace('-', '_')).append("\":").append(v);
            }
        }
        return json.append('}').toString();
    }

    /** Weights stay as stored: {@code --dtype} may only name what the checkpoint holds. */
    private static final String FLOAT32 = "float32";

    private static String canonicalDtype(String dtype) {
        String d = dtype.toLowerCase(Locale.ROOT);
        return Map.of("half", "float16", "float", FLOAT32, "bf16", "bfloat16", "fp16", "float16", "fp32", FLOAT32)
                .getOrDefault(d, d);
    }

    /**
     * {@code auto} and the checkpoint's own dtype keep the weights as stored; {@code float32} keeps
     * them too but asks for every product in F32 (BF16 weights otherwise multiply activations
     * rounded to BF16 where the CPU has BF16 dot products).
     */
    private static void checkDtype(String dtype, LoadedModel loaded) throws IOException {
        String d = canonicalDtype(dtype);
        if (d.equals("auto") || d.equals(FLOAT32)) {
            return;
        }
        String stored = canonicalDtype(loaded.checkpoint().config().string("torch_dtype").orElse(FLOAT32));
        if (!d.equals(stored)) {
            throw new UsageException("--dtype " + dtype + " is not supported by Iris for this checkpoint: its weights are"
                    + " " + stored + " and are used as stored; use --dtype auto, or float32 for F32 products");
        }
    }

    /** {@code --quantization} (values checked by ServerArgs), or null; the cpu device is the one with quantized kernels. */
    private static DType quantization(ServerArgs a) {
        if (a.string("quantization") == null) {
            return null;
        }
        if (!a.string("device").equalsIgnoreCase("cpu")) {
            throw new UsageException("--quantization " + a.string("quantization") + " needs --device cpu: the "
                    + a.string("device") + " backend multiplies F32, F16 and BF16 weights only");
        }
        return DType.valueOf(a.string("quantization").toUpperCase(Locale.ROOT));
    }

    /** How long a prefill step should take on a CPU when no chunk size is given. */
    private static final double CPU_PREFILL_STEP_SECONDS = 2;

    private static EngineOptions engineOptions(ServerArgs a, long seed) {
        int chunked = a.integer("chunked-prefill-size", 8192);
        int maxPrefill = a.integer("max-prefill-tokens", 16384);
        int perStep = chunked > 0 ? Math.min(chunked, maxPrefill) : maxPrefill;
        // SGLang's 8192 is a GPU's chunk: on a CPU, unless a size is asked for, steps are sized by time.
        boolean cpuChunks = !a.given("chunked-prefill-size") && a.string("device").equalsIgnoreCase("cpu");
        String policy = a.string("schedule-policy").toLowerCase(Locale.ROOT);
        SchedulePolicy schedule = switch (policy) {
            case "lpm" -> SchedulePolicy.LPM;
            case "fcfs" -> SchedulePolicy.FCFS;
            case "random", "dfs-weight" -> {
                LOG.log(System.Logger.Level.WARNING, "--schedule-policy " + policy + " is not implemented in Iris;"
                        + " using fcfs.");
                yield SchedulePolicy.FCFS;
            }
            default -> throw new UsageException("argument --schedule-policy: invalid choice: '" + policy
                    + "' (choose from 'lpm', 'random', 'fcfs', 'dfs-weight')");
        };
        int imageCacheMib = a.integer("image-cache-size", 512);
        if (imageCacheMib < 0) {
            throw new UsageException("argument --image-cache-size: must not be negative, got " + imageCacheMib);
        }
        try {
            return new EngineOptions(a.integer("page-size", 1), a.integer("max-total-tokens", 0),
                    a.number("mem-fraction-static", 0.8), !a.bool("disable-radix-cache"),
                    a.integer("max-running-requests", 200), perStep, schedule, a.integer("decode-log-interval", 40),
                    (long) imageCacheMib << 20, a.integer("context-length", 0), seed, kvCacheDtype(a.string("kv-cache-dtype")),
                    cpuChunks ? CPU_PREFILL_STEP_SECONDS : 0, a.integer("max-cached-tokens", 0));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** A flag given in seconds (fractions allowed). */
    private static Duration seconds(ServerArgs a, String flag) {
        double s = a.number(flag, 0);
        if (!(s >= 0) || Double.isInfinite(s)) {
            throw new UsageException("argument --" + flag + ": must be a number of seconds, got " + s);
        }
        return Duration.ofMillis(Math.round(s * 1000));
    }

    /** {@code --kv-cache-dtype}: null for auto (the attention backend's preferred type). */
    private static DType kvCacheDtype(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "fp32", "float32" -> DType.F32;
            default -> null;
        };
    }

    private static MediaOptions mediaOptions(ServerArgs a) {
        MediaOptions m = MediaOptions.defaults().withAllowPrivateUrls(a.bool("allow-private-media-urls"))
                .withAllowedLocalPaths(a.list("allowed-local-media-path").stream().map(Path::of).toList());
        if (a.string("allowed-media-domains") != null) {
            m = m.withAllowedDomains(Set.copyOf(Arrays.stream(a.string("allowed-media-domains").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList()));
        }
        String limit = a.string("limit-mm-per-prompt").trim();
        if (!limit.matches("image=\\d+")) {
            throw new UsageException("argument --limit-mm-per-prompt: expected image=N, got '" + limit + "'");
        }
        long maxImageBytes = a.longValue("max-image-bytes");
        if (maxImageBytes < 1) {
            throw new UsageException("argument --max-image-bytes: must be positive, got " + maxImageBytes);
        }
        return m.withMaxImages(Integer.parseInt(limit.substring("image=".length()))).withMaxImageBytes(maxImageBytes);
    }

    /**
     * Starts the warm-up: SGLang's request ({@code The capital city of France is}, greedy, 8 new
     * tokens), then {@link #JIT_WARM_UPS} prompts of a short chat's length with 2 new tokens each,
     * one after another, so the JIT has compiled the prompt path at the sizes users send before
     * {@code /health} says 200 (without them a fresh server's first short prompts take about 0.1 s
     * longer, measured on 2 cores). It runs while the HTTP server starts; {@code /health} says 503
     * until it is done, and failing it ends the server. The prompts are cut to fit a short
     * {@code --context-length} and differ from each other, so a prefix cache skips little of them.
     */
    private static CompletableFuture<GenerationResult> warmUp(Engine engine, LoadedModel loaded) {
        int[] prompt = loaded.tokenizer() == null ? new int[]{10, 11, 12} // SGLang's ids without a tokenizer
                : loaded.tokenizer().encode("The capital city of France is", true);
        CompletableFuture<GenerationResult> done = engine.generateAsync(warmUpRequest(prompt, 8, loaded));
        int tokens = Math.min(JIT_WARM_UP_TOKENS, engine.contextLength() - 3); // room for 2 new tokens
        for (int i = 0; i < JIT_WARM_UPS && tokens > prompt.length; i++) {
            int[] ids = jitWarmUpPrompt(prompt, tokens, i);
            done = done.thenCompose(first -> engine.generateAsync(warmUpRequest(ids, 2, loaded)).thenApply(r -> first));
        }
        return done;
    }

    /** Extra warm-up prompts after SGLang's, and their length in tokens. */
    private static final int JIT_WARM_UPS = 3;
    private static final int JIT_WARM_UP_TOKENS = 32;

    /** Warm-up prompt {@code i} of {@code tokens} ids: SGLang's prompt's ids repeated, rotated by {@code i + 1}. */
    private static int[] jitWarmUpPrompt(int[] prompt, int tokens, int i) {
        int[] ids = new int[tokens];
        for (int t = 0; t < ids.length; t++) {
            ids[t] = prompt[(t + i + 1) % prompt.length];
        }
        return ids;
    }

    private static GenerationRequest warmUpRequest(int[] prompt, int newTokens, LoadedModel loaded) {
        return new GenerationRequest(prompt, List.of(), SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), loaded.eosTokenIds(), false, false, newTokens, 0, Integer.MAX_VALUE));
    }
}
