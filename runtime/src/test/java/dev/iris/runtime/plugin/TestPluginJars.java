package dev.iris.runtime.plugin;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Builds real plugin jars during a test: compiles a chat-template provider against the api
 * module with javax.tools and packages it as a modular JAR with {@code META-INF/services} and
 * OSGi bundle headers, like the project's own plugin jars.
 */
final class TestPluginJars {

    private TestPluginJars() {
    }

    /**
     * A jar with one {@code ChatTemplate} provider.
     *
     * @param module       the JPMS module name (also the bundle symbolic name and the package)
     * @param templateName what the provider's {@code name()} returns
     * @param greeting     a word the template puts before each message, to tell versions apart
     */
    static Path templatePlugin(Path dir, String jarName, String module, String templateName, String greeting)
            throws IOException {
        return build(dir, jarName, module, templateName, greeting, "", true);
    }

    /**
     * Like {@link #templatePlugin} but the module also requires {@code test.absent}, a module that
     * exists at compile time only.
     */
    static Path pluginWithMissingRequirement(Path dir, String jarName, String module, String templateName)
            throws IOException {
        return build(dir, jarName, module, templateName, "hi", "    requires test.absent;\n", true);
    }

    /** Like {@link #templatePlugin} but without OSGi headers (a plain modular JAR). */
    static Path plainModularJar(Path dir, String jarName, String module, String templateName) throws IOException {
        return build(dir, jarName, module, templateName, "hi", "", false);
    }

    /** A file named like a jar that is not a zip archive. */
    static Path corruptJar(Path dir, String jarName) throws IOException {
        Files.createDirectories(dir);
        return Files.write(dir.resolve(jarName), "PK\u0003\u0004 this is not a zip archive".getBytes(StandardCharsets.UTF_8));
    }

    private static Path build(Path dir, String jarName, String module, String templateName, String greeting,
                              String extraRequires, boolean osgiHeaders) throws IOException {
        Path work = Files.createTempDirectory("plugin-src-");
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Path pkgDir = src.resolve(module.replace('.', '/'));
        Files.createDirectories(pkgDir);
        Files.createDirectories(classes);
        Files.writeString(src.resolve("module-info.java"), """
                module %s {
                    requires dev.iris.api;
                %s    provides dev.iris.api.chat.ChatTemplate with %s.GreetingTemplate;
                }
                """.formatted(module, extraRequires, module));
        Files.writeString(pkgDir.resolve("GreetingTemplate.java"), """
                package %s;

                import dev.iris.api.chat.ChatMessage;
                import dev.iris.api.chat.ChatTemplate;
                import dev.iris.api.chat.RenderedPrompt;
                import java.util.ArrayList;
                import java.util.List;

                public final class GreetingTemplate implements ChatTemplate {
                    public String name() { return "%s"; }
                    public String description() { return "%s template"; }
                    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
                        StringBuilder sb = new StringBuilder();
                        List<dev.iris.api.chat.ContentPart.Image> images = new ArrayList<>();
                        for (ChatMessage m : messages) {
                            sb.append("%s ").append(m.role()).append(": ").append(m.joinedText()).append('\\n');
                            images.addAll(m.images());
                        }
                        if (addGenerationPrompt) sb.append("assistant:");
                        return new RenderedPrompt(sb.toString(), images, List.of("\\n"));
                    }
                }
                """.formatted(module, templateName, greeting, greeting));
        String modulePath = BootProviders.location(dev.iris.api.IrisPlugin.class);
        if (!extraRequires.isEmpty()) {
            Path absentSrc = work.resolve("absent-src");
            Path absent = work.resolve("absent");
            Files.createDirectories(absentSrc);
            Files.writeString(absentSrc.resolve("module-info.java"), "module test.absent { }\n");
            compile(absentSrc, absent, modulePath);
            modulePath += java.io.File.pathSeparator + absent;
        }
        compile(src, classes, modulePath);

        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (osgiHeaders) {
            a.putValue("Bundle-ManifestVersion", "2");
            a.putValue("Bundle-SymbolicName", module);
            a.putValue("Bundle-Version", "1.0.0");
            a.putValue("Import-Package", "dev.iris.api;version=\"[0.1,1)\",dev.iris.api.chat;version=\"[0.1,1)\"");
        }
        Files.createDirectories(dir);
        Path jar = dir.resolve(jarName);
        // Written beside the target and moved in, so a watching host never sees half a jar.
        Path tmp = Files.createTempFile(work, "jar", ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jos = new JarOutputStream(out, mf)) {
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    jos.write(Files.readAllBytes(f));
                    jos.closeEntry();
                }
            }
            jos.putNextEntry(new JarEntry("META-INF/services/dev.iris.api.chat.ChatTemplate"));
            jos.write((module + ".GreetingTemplate\n").getBytes(StandardCharsets.UTF_8));
            jos.closeEntry();
        }
        Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return jar;
    }

    private static void compile(Path src, Path classes, String modulePath) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args;
        try (Stream<Path> s = Files.walk(src)) {
            args = new java.util.ArrayList<>(List.of("-d", classes.toString(), "--module-path", modulePath));
            s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).forEach(args::add);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IOException("test plugin did not compile:\n" + err.toString(StandardCharsets.UTF_8));
        }
    }
}
