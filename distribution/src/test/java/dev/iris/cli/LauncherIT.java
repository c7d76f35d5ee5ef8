package dev.iris.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the assembled launcher, {@code distribution/target/iris/bin/iris}, as an operator would. */
class LauncherIT {

    private static final Map<String, String> KIND_LABELS = Map.of(
            "dev.iris.api.model.ModelArchitecture", "model",
            "dev.iris.api.chat.ChatTemplate", "chat-template",
            "dev.iris.api.chat.ChatTemplateSource", "template-source",
            "dev.iris.api.compute.ComputeBackend", "compute-backend",
            "dev.iris.api.attention.AttentionBackend", "attention-backend",
            "dev.iris.api.sampling.Sampler", "sampler");

    static Path home;
    static Path examplePlugin;

    @TempDir
    Path plugins;

    record Result(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void locate() {
        home = Path.of(System.getProperty("iris.home"));
        examplePlugin = Path.of(System.getProperty("example.plugin.jar"));
        assertTrue(Files.isExecutable(home.resolve("bin/iris")), "bin/iris is missing or not executable");
    }

    static Result iris(String... args) throws IOException, InterruptedException {
        return irisWithInput("", args);
    }

    static Result irisWithInput(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/iris").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not exit");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /**
     * {@code iris chat} on a fixture directory with an image prints the model's answer: the golden
     * conversation (tiny-qwen2-vl one_image) greedy gives transformers' tokens, as a one-shot prompt
     * and as a turn typed on standard input after {@code /image}; a missing image fails with 1.
     */
    @Test
    void chatAnswersAPromptAboutAnImageWithTheGoldenTokens() throws Exception {
        String golden = Files.readString(Path.of("../testdata/golden/tiny-qwen2-vl/one_image.json"));
        int[] ids = newTokens(golden);
        String model = Path.of("../testdata/models/tiny-qwen2-vl").toAbsolutePath().toString();
        String expected = dev.iris.runtime.tokenizer.Tokenizer.load(Path.of(model, "tokenizer.json")).decode(ids, true) + "\n";
        String image = Path.of("../testdata/images/gradient_640x480.png").toAbsolutePath().toString();

        Result once = iris("chat", "--model-path", model, "--image", image, "--max-new-tokens", "8", "--temperature", "0",
                "What is shown in this image?");
        assertEquals(0, once.exitCode(), once.err());
        assertEquals(expected, once.out());

        Result typed = irisWithInput("/image " + image + "\nWhat is shown in this image?\n/exit\n",
                "chat", "--model-path", model, "--max-new-tokens", "8", "--temperature", "0");
        assertEquals(0, typed.exitCode(), typed.err());
        assertEquals(expected, typed.out());

        Result missing = iris("chat", "--model-path", model, "--image", image + ".missing", "Hi");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains(".missing"), missing.err());
    }

    @Test
    void listsEveryProviderThatTheJarsInLibDeclare() throws Exception {
        Result r = iris("plugins");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("KIND"), r.out());
        int declared = 0;
        for (ModuleReference ref : ModuleFinder.of(home.resolve("lib")).findAll()) {
            for (ModuleDescriptor.Provides p : ref.descriptor().provides()) {
                String label = KIND_LABELS.get(p.service());
                if (label == null) {
                    continue;
                }
                declared += p.providers().size();
                String module = ref.descriptor().name();
                assertTrue(r.out().lines().anyMatch(l -> l.startsWith(label + " ") && l.contains(" " + module + " ")),
                        "no " + label + " from " + module + " in:\n" + r.out());
            }
        }
        assertTrue(r.out().contains(declared + " provider"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpms", "osgi"})
    void findsAPluginJarThatAnOperatorDropsIntoThePluginsDirectory(String host) throws Exception {
        Path jar = Files.copy(examplePlugin, plugins.resolve("example-template-plugin.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString(), "--plugin-host", host);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("chat-template\\s+example-chatml\\s+com\\.example\\.iris\\.template\\s+1\\.0\\.0\\s+" + java.util.regex.Pattern.quote(jar.toString()))),
                r.out());
        assertTrue(r.out().contains("plugin host: " + host), r.out());
    }

    @Test
    void aDuplicateNameStopsTheLauncherAndNamesBothJars() throws Exception {
        Path a = Files.createDirectories(plugins.resolve("a"));
        Path b = Files.createDirectories(plugins.resolve("b"));
        Files.copy(examplePlugin, a.resolve("first.jar"));
        Files.copy(examplePlugin, b.resolve("second.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString());
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("first.jar") && r.err().contains("second.jar") && r.err().contains("'example-chatml'"),
                r.err());
    }

    @Test
    void aCorruptJarIsReportedAndTheRestStillLoads() throws Exception {
        Files.writeString(plugins.resolve("broken.jar"), "not a jar");
        Files.copy(examplePlugin, plugins.resolve("good.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("example-chatml"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("skipped: ") && l.contains("broken.jar")), r.out());
    }

    @Test
    void anUnknownCommandExitsWithTwo() throws Exception {
        Result r = iris("frobnicate");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
    }

    /**
     * The README's first command's server: {@code iris serve} with no flags but a port serves the
     * demo model, answers the README's curl (an image as a data URL) with a chat completion, lists
     * the demo under its labelled id, and on SIGTERM drains and exits 0.
     */
    @Test
    void serveRunsTheDemoModelAnswersAnImageChatAndExitsZeroOnSigterm() throws Exception {
        try (RunningServer server = RunningServer.start()) {
            int port = server.port;
            Process p = server.process;
            assertTrue(server.log.contains("server_args=ServerArgs(model_path='"), server.log);
            assertTrue(server.log.contains("max_total_num_tokens="), server.log);
            assertTrue(server.log.contains("demo model"), server.log);
            String image = java.util.Base64.getEncoder().encodeToString(
                    Files.readAllBytes(Path.of("../testdata/images/gradient_640x480.png")));
            String body = "{\"model\":\"" + ServeCommand.DEMO_NAME + "\",\"messages\":[{\"role\":\"user\",\"content\":["
                    + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + image + "\"}},"
                    + "{\"type\":\"text\",\"text\":\"Describe this image.\"}]}],\"max_tokens\":8}";
            String[] chat = http("POST", "http://127.0.0.1:" + port + "/v1/chat/completions", body);
            assertEquals("200", chat[0], chat[1]);
            assertTrue(chat[1].contains("\"object\":\"chat.completion\"") && chat[1].contains("\"completion_tokens\":8"),
                    chat[1]);
            String[] models = http("GET", "http://127.0.0.1:" + port + "/v1/models", null);
            assertTrue(models[1].contains("\"id\":\"" + ServeCommand.DEMO_NAME + "\""), models[1]);
            // Every server argument, resolved (contract §6.4), beside the live figures.
            String[] info = http("GET", "http://127.0.0.1:" + port + "/get_server_info", null);
            for (Flag f : ServerFlags.ALL) {
                if (!f.name().equals("help")) {
                    assertTrue(info[1].contains("\"" + f.field() + "\":"), f.field() + " missing: " + info[1]);
                }
            }
            for (String resolved : List.of("\"chat_template\":\"", "\"mem_fraction_static\":0.8",
                    "\"max_running_requests\":200", "\"kv_cache_dtype\":\"bf16\"", "\"max_total_num_tokens\":",
                    "\"status\":\"")) {
                assertTrue(info[1].contains(resolved), resolved + " missing: " + info[1]);
            }
            String curl = readmeBlock("IMG=").replace("127.0.0.1:30000", "127.0.0.1:" + port);
            Process shell = new ProcessBuilder("bash", "-c", curl).directory(Path.of("..").toFile()).start();
            String answer = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(shell.waitFor(60, TimeUnit.SECONDS));
            assertTrue(answer.contains("\"object\":\"chat.completion\"") && answer.contains("\"finish_reason\""),
                    "the README's curl got: " + answer);
            p.toHandle().destroy(); // SIGTERM, leaving its output to be read (Process.destroy closes the pipes)
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            assertEquals(0, p.exitValue());
            assertTrue(server.laterLog().contains("Shutting down: new requests get 503; 0 in flight may finish for up to"
                    + " 30.0 s (--graceful-shutdown-timeout), then end with an error."), server.laterLog());
        }
    }

    /**
     * Felix hot deploy through the real launcher: a template plugin jar copied into {@code plugins/}
     * while serving becomes usable by name ({@code chat_template}) without restart, and renders as
     * the plugin says (the chat answer equals a completion of the prompt it renders); removed, a
     * request naming it gets a 400 naming the template while the server keeps answering others.
     */
    @Test
    void aTemplatePluginDeployedWhileServingIsUsableByNameAndGoneWhenRemoved() throws Exception {
        Path dir = Files.createDirectories(plugins.resolve("live"));
        try (RunningServer server = RunningServer.start("--plugin-host", "osgi", "--plugins-dir", dir.toString())) {
            String base = "http://127.0.0.1:" + server.port;
            String named = "{\"messages\":[{\"role\":\"user\",\"content\":\"Say hi.\"}],\"max_tokens\":6,"
                    + "\"temperature\":0,\"chat_template\":\"example-chatml\"}";
            String[] before = http("POST", base + "/v1/chat/completions", named);
            assertEquals("400", before[0], before[1]);
            assertTrue(before[1].contains("example-chatml") && before[1].contains("\"param\":\"chat_template\""),
                    before[1]);

            Path live = Files.copy(examplePlugin, dir.resolve("example-template-plugin.jar"));
            String[] chat = awaitStatus("200", () -> http("POST", base + "/v1/chat/completions", named));
            String rendered = "<|im_start|>user\\nSay hi.<|im_end|>\\n<|im_start|>assistant\\n";
            String[] completion = http("POST", base + "/v1/completions", "{\"prompt\":\"" + rendered
                    + "\",\"max_tokens\":6,\"temperature\":0}");
            assertEquals("200", completion[0], completion[1]);
            assertEquals(jsonValue(completion[1], "prompt_tokens"), jsonValue(chat[1], "prompt_tokens"));
            assertEquals(jsonValue(completion[1], "text"), jsonValue(chat[1], "content"));

            Files.delete(live);
            String[] after = awaitStatus("400", () -> http("POST", base + "/v1/chat/completions", named));
            assertTrue(after[1].contains("Chat template 'example-chatml' is not available"), after[1]);
            String[] plain = http("POST", base + "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Say hi.\"}],\"max_tokens\":2}");
            assertEquals("200", plain[0], plain[1]);
        }
    }

    /** The first value of a field in a JSON text: a number or a string as written (escapes kept). */
    private static String jsonValue(String json, String field) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\":(\\d+|\"(?:[^\"\\\\]|\\\\.)*\")")
                .matcher(json);
        assertTrue(m.find(), field + " not in " + json);
        return m.group(1);
    }

    /** Repeats a request until it answers with the status (the plugin directory is polled every second). */
    private static String[] awaitStatus(String status, java.util.concurrent.Callable<String[]> request) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String[] last;
        do {
            last = request.call();
            if (last[0].equals(status)) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("still " + last[0] + " after 30 s: " + last[1]);
    }

    /**
     * {@code --skip-tokenizer-init}: token ids in and out through {@code /generate}; the text
     * endpoints say why not. (The same start checks that {@code --max-pixels} reaches the family:
     * 6272 pixels are 8 merged 28×28 windows.)
     */
    @Test
    void withoutATokenizerGenerateTakesAndGivesTokenIds() throws Exception {
        try (RunningServer server = RunningServer.start("--skip-tokenizer-init", "--max-pixels", "6272")) {
            assertTrue(server.log.contains("Image tokens: at most 8 per image"), server.log);
            String[] out = http("POST", "http://127.0.0.1:" + server.port + "/generate",
                    "{\"input_ids\":[10,11,12,13],\"sampling_params\":{\"max_new_tokens\":4,\"ignore_eos\":true}}");
            assertEquals("200", out[0], out[1]);
            assertTrue(out[1].matches(".*\"output_ids\":\\[\\d+,\\d+,\\d+,\\d+\\].*") && out[1].contains("\"text\":\"\""),
                    out[1]);
            String[] text = http("POST", "http://127.0.0.1:" + server.port + "/generate", "{\"text\":\"Hello\"}");
            assertEquals("400", text[0]);
            assertTrue(text[1].contains("--skip-tokenizer-init"), text[1]);
            String[] chat = http("POST", "http://127.0.0.1:" + server.port + "/v1/chat/completions",
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
            assertEquals("400", chat[0]);
            assertTrue(chat[1].contains("use /generate with input_ids"), chat[1]);
        }
    }

    /**
     * The warm-up runs SGLang's request and then three more prompts for the JIT before
     * {@code /health} says 200; with a {@code --context-length} shorter than those prompts it cuts
     * them to fit rather than failing the start: 3 + 3 × 17 prompt tokens in 4 requests.
     */
    @Test
    void theWarmUpRunsThreeMorePromptsCutToAShortContextBeforeHealthSaysReady() throws Exception {
        try (RunningServer server = RunningServer.start("--skip-tokenizer-init", "--context-length", "20",
                "--enable-metrics")) {
            String url = "http://127.0.0.1:" + server.port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!http("GET", url + "/health", null)[0].equals("200") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String metrics = http("GET", url + "/metrics", null)[1];
            assertTrue(metrics.matches("(?s).*sglang:num_requests_total\\{[^}]*\\} 4\n.*"), metrics);
            assertTrue(metrics.matches("(?s).*sglang:prompt_tokens_total\\{[^}]*\\} 54\n.*"), metrics);
        }
    }

    /**
     * {@code --model-path ORG/NAME}: the launcher downloads the model from the Hub ({@code HF_ENDPOINT}
     * pointing at a fake Hub on loopback serving tiny-qwen2-vl) into {@code HF_HUB_CACHE} and serves
     * it; a second start with {@code HF_HUB_OFFLINE=1} and the fake Hub gone serves from the cache.
     */
    @Test
    void serveDownloadsARepoIdFromTheHubAndLaterStartsOfflineFromTheCache() throws Exception {
        Path cache = plugins.resolve("hf-cache");
        Map<String, String> env = new java.util.HashMap<>(Map.of("HF_HUB_CACHE", cache.toString()));
        try (FakeHub hub = new FakeHub(Path.of("../testdata/models/tiny-qwen2-vl"))) {
            env.put("HF_ENDPOINT", "http://127.0.0.1:" + hub.port());
            try (RunningServer server = RunningServer.start(env, "--model-path", "org/tiny")) {
                assertTrue(server.log.contains("Fetching org/tiny from http://127.0.0.1:"), server.log);
                String[] models = http("GET", "http://127.0.0.1:" + server.port + "/v1/models", null);
                assertTrue(models[1].contains("\"id\":\"org/tiny\""), models[1]);
            }
            assertTrue(hub.requests.stream().anyMatch(r -> r.contains("/resolve/")), hub.requests.toString());
        }
        env.put("HF_HUB_OFFLINE", "1");
        env.put("HF_ENDPOINT", "http://127.0.0.1:9"); // nothing listens there
        try (RunningServer server = RunningServer.start(env, "--model-path", "org/tiny")) {
            assertTrue(server.log.contains("(offline: cache only)"), server.log);
        }
    }

    /** A Hub on loopback that knows one repo, {@code org/tiny}, at one commit (java.base only). */
    private static final class FakeHub implements AutoCloseable {
        private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
        private final java.net.ServerSocket socket = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress());
        private final Path model;
        final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

        FakeHub(Path model) throws IOException {
            this.model = model;
            Thread.ofVirtual().start(this::serve);
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (java.net.Socket s = socket.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    String line = in.readLine();
                    while (in.readLine() instanceof String header && !header.isEmpty()) {
                        // headers are not needed here
                    }
                    requests.add(line);
                    String[] parts = line.split(" ");
                    answer(parts[0], parts[1], s.getOutputStream());
                } catch (IOException e) {
                    // the socket closed
                }
            }
        }

        private void answer(String method, String path, java.io.OutputStream out) throws IOException {
            byte[] body;
            String extra = "";
            if (path.equals("/api/models/org/tiny/revision/main")) {
                StringBuilder siblings = new StringBuilder();
                try (var files = Files.list(model)) {
                    for (Path f : files.toList()) {
                        siblings.append(siblings.isEmpty() ? "" : ",").append("{\"rfilename\":\"")
                                .append(f.getFileName()).append("\"}");
                    }
                }
                body = ("{\"sha\":\"" + COMMIT + "\",\"siblings\":[" + siblings + "]}").getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/org/tiny/resolve/" + COMMIT + "/")) {
                body = Files.readAllBytes(model.resolve(path.substring(path.lastIndexOf('/') + 1)));
                extra = "ETag: \"" + Integer.toHexString(java.util.Arrays.hashCode(body)) + "\"\r\n";
            } else {
                out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n" + extra + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            if (!method.equals("HEAD")) {
                out.write(body);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * {@code --watchdog-timeout}: a step that goes longer than the limit without finishing any
     * work (here 1 ms, so the warm-up's first step) fails the requests waiting and ends the server
     * with 1.
     */
    @Test
    void aStepPastTheWatchdogTimeoutEndsTheServer() throws Exception {
        Path log = plugins.resolve("serve.log");
        Process p = serveLoggingTo(log, "--watchdog-timeout", "0.001");
        try {
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the watchdog did not end the server");
            assertEquals(1, p.exitValue());
            String out = Files.readString(log);
            assertTrue(out.contains("Watchdog timeout: no progress for"), out);
            assertTrue(out.contains("1 requests ended with an error. Exiting."), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * {@code --dtype float32} keeps every product in F32, and the start-up line that names the
     * kernels says so; a dtype the checkpoint is not stored in (the demo model is BF16) is refused
     * with the choices there are.
     */
    @Test
    void dtypeFloat32AsksForF32ProductsAndAnotherDtypeIsRefused() throws Exception {
        Path log = plugins.resolve("float32.log");
        Process p = serveLoggingTo(log, "--dtype", "float32");
        try {
            String line = "";
            for (int i = 0; i < 900 && line.isEmpty(); i++) {
                Thread.sleep(100);
                line = Files.readAllLines(log).stream().filter(l -> l.contains("Compute backend: ")).findFirst().orElse("");
            }
            assertTrue(line.contains("Vector API"), "no compute backend line: " + Files.readString(log));
            assertTrue(line.contains("BF16 weights widened to F32") && !line.contains("BF16 dot products"), line);
        } finally {
            p.destroyForcibly().waitFor();
        }
        Result half = iris("serve", "--dtype", "float16");
        assertTrue(half.exitCode() != 0, half.err());
        assertTrue(half.err().contains("its weights are bfloat16") && half.err().contains("float32 for F32 products"),
                half.err());
    }

    /** {@code iris serve --port 0 flags…} on the demo model, its output going to {@code log}. */
    private static Process serveLoggingTo(Path log, String... flags) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/iris").toString(), "serve", "--port", "0"));
        cmd.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** The README's shell block that starts with {@code firstLine}. */
    private static String readmeBlock(String firstLine) throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("```sh\n" + firstLine);
        assertTrue(start >= 0, "no sh block starting with " + firstLine + " in README.md");
        start += "```sh\n".length();
        return readme.substring(start, readme.indexOf("```", start));
    }

    /** Status and body of one request (java.base only: the tests run inside the distribution module). */
    private static String[] http(String method, String url, String body) throws IOException {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            c.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
        int status = c.getResponseCode();
        var in = status < 400 ? c.getInputStream() : c.getErrorStream();
        return new String[]{String.valueOf(status), new String(in.readAllBytes(), StandardCharsets.UTF_8)};
    }

    /**
     * {@code --device cuda} on a machine without an NVIDIA driver (CI) stops start-up with 1 and
     * says why, before any port is opened; the CUDA backend is installed (listed by {@code iris plugins}).
     */
    @Test
    void serveOnCudaWithoutAGpuExitsWithTheReason() throws Exception {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "this machine has an NVIDIA GPU");
        Result plugins = iris("plugins");
        assertTrue(plugins.out().contains("compute-backend") && plugins.out().contains(" cuda "), plugins.out());
        Result cuda = iris("serve", "--device", "cuda");
        assertEquals(1, cuda.exitCode(), cuda.err());
        assertTrue(cuda.err().contains("iris: the cuda backend cannot run here: "), cuda.err());
        assertTrue(cuda.err().contains("NVIDIA"), cuda.err());
        assertTrue(!cuda.err().contains("ready to roll"), cuda.err());
    }

    /**
     * llama-server's spelling: a text GGUF and its {@code --mmproj}, the tokenizer and chat template
     * read from the GGUF; the image chat answers with transformers' greedy tokens (the fixture's own
     * pixel limits given as flags, an mmproj carries none) and {@code /get_model_info} names the
     * format. A GGUF of an architecture Iris does not serve stops start-up with one line saying so.
     */
    @Test
    void serveTakesATextGgufWithItsMmprojAndAnswersWithTheGoldenTokens() throws Exception {
        String golden = Files.readString(Path.of("../testdata/golden/tiny-qwen2-vl/one_image.json"));
        int[] ids = newTokens(golden);
        String expected = dev.iris.runtime.tokenizer.Tokenizer.load(Path.of("../testdata/models/tiny-qwen2-vl/tokenizer.json"))
                .decode(ids, true);
        Path gguf = Path.of("../testdata/gguf").toAbsolutePath();
        try (RunningServer server = RunningServer.start("--model-path", gguf.resolve("tiny-qwen2-vl-F16.gguf").toString(),
                "--mmproj", gguf.resolve("tiny-qwen2-vl-mmproj-F16.gguf").toString(), "--min-pixels", "3136",
                "--max-pixels", "12544")) {
            assertTrue(server.log.contains("Weights: GGUF F16"), server.log);
            String image = java.util.Base64.getEncoder().encodeToString(
                    Files.readAllBytes(Path.of("../testdata/images/gradient_640x480.png")));
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":["
                    + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + image + "\"}},"
                    + "{\"type\":\"text\",\"text\":\"What is shown in this image?\"}]}],\"max_tokens\":" + ids.length
                    + ",\"temperature\":0}";
            String[] chat = http("POST", "http://127.0.0.1:" + server.port + "/v1/chat/completions", body);
            assertEquals("200", chat[0], chat[1]);
            java.util.regex.Matcher content = java.util.regex.Pattern.compile("\"content\":\"((?:[^\"\\\\]|\\\\.)*)\"")
                    .matcher(chat[1]);
            assertTrue(content.find(), chat[1]);
            assertEquals(expected, unescapeJson(content.group(1)));
            String[] info = http("GET", "http://127.0.0.1:" + server.port + "/get_model_info", null);
            assertTrue(info[1].contains("\"weight_format\":\"GGUF F16 (F32 ×11 0.0 MiB, F16 ×16 0.2 MiB), mmproj F16 "), info[1]);
        }
        Result mllama = iris("serve", "--model-path", gguf.resolve("tiny-llava-1.5-mmproj-F16.gguf").toString());
        assertEquals(1, mllama.exitCode());
        assertTrue(mllama.err().contains("general.architecture 'clip' is not served by Iris from GGUF"), mllama.err());
    }

    /** A golden case's {@code new_tokens} (transformers' greedy continuation), read from its JSON text. */
    private static int[] newTokens(String golden) {
        java.util.regex.Matcher tokens = java.util.regex.Pattern.compile("\"new_tokens\":\\s*\\[([0-9,\\s]+)]").matcher(golden);
        assertTrue(tokens.find());
        return java.util.Arrays.stream(tokens.group(1).split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    /** A JSON string's body with its escapes resolved. */
    private static String unescapeJson(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }

    @Test
    void serveRefusesAMissingModelDirectoryAndAnUnknownTemplateBeforeOpeningThePort() throws Exception {
        Result missing = iris("serve", "--model-path", plugins.resolve("no-such-model").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("is neither a local model directory"), missing.err());
        Result template = iris("serve", "--chat-template", "no_such_template");
        assertEquals(1, template.exitCode());
        assertTrue(template.err().contains(
                "Chat template no_such_template is not a built-in template name or a valid chat template file path."),
                template.err());
        Result refused = iris("serve", "--tp", "2");
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("--tp-size 2 is not supported by Iris"), refused.err());
    }
}
