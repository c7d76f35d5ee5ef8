package dev.iris.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {

    private static final List<Flag> FLAGS = List.of(
            Flag.of("plugins-dir", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("plugin-host", Flag.Type.STRING, "jpms", Flag.Effect.E, ""),
            Flag.of("port", Flag.Type.INT, "30000", Flag.Effect.E, ""),
            Flag.of("tp-size", Flag.Type.INT, "1", Flag.Effect.R, "").alias("tensor-parallel-size"),
            Flag.of("paths", Flag.Type.LIST, null, Flag.Effect.E, ""),
            Flag.of("help", Flag.Type.BOOL, null, Flag.Effect.E, ""));

    @Test
    void acceptsSglangSpellingsSpaceOrEqualsDashesOrUnderscores() {
        CommandLine cl = CommandLine.parse(List.of("x", "--plugins_dir=/p", "--plugin-host", "osgi", "--help"), FLAGS);
        assertEquals("/p", cl.get("plugins-dir"));
        assertEquals("osgi", cl.get("plugin-host"));
        assertTrue(cl.flag("help"));
        assertEquals(List.of("x"), cl.positional());
    }

    @Test
    void takesUnambiguousPrefixesAndAliasesAsArgparseDoes() {
        CommandLine cl = CommandLine.parse(List.of("--plugins-d", "/p", "--po=1", "--tensor-parallel-size", "2"), FLAGS);
        assertEquals("/p", cl.get("plugins-dir"));
        assertEquals("1", cl.get("port"));
        assertEquals("2", cl.get("tp-size"));
        assertEquals("2", CommandLine.parse(List.of("--tp", "2"), FLAGS).get("tp-size"));
        assertEquals("ambiguous option: --plugin could match --plugin-host, --plugins-dir", assertThrows(
                UsageException.class, () -> CommandLine.parse(List.of("--plugin", "x"), FLAGS)).getMessage());
    }

    @Test
    void listOptionsTakeEveryValueUpToTheNextOptionAndMayRepeat() {
        CommandLine cl = CommandLine.parse(List.of("--paths", "/a", "/b", "--port", "1", "--paths=/c"), FLAGS);
        assertEquals(List.of("/a", "/b", "/c"), cl.list("paths"));
    }

    @Test
    void rejectsUnknownOptionsMissingValuesAndValuesOfTheWrongTypeByName() {
        assertEquals("unrecognized arguments: --model-pth", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--model-pth", "x"), FLAGS)).getMessage());
        assertEquals("argument --plugin-host: expected one argument", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--plugin-host"), FLAGS)).getMessage());
        assertEquals("argument --port: invalid int value: 'http'", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--port", "http"), FLAGS)).getMessage());
        assertEquals("argument --help: ignored explicit argument 'yes'", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--help=yes"), FLAGS)).getMessage());
    }

    @Test
    void mainExitsWithTwoAndSaysWhyOnABadCommandLine() {
        var err = new java.io.ByteArrayOutputStream();
        int rc = Main.run(List.of("plugins", "--plugin-host", "karaf"), System.out, new java.io.PrintStream(err));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("unknown plugin host 'karaf' (expected jpms or osgi)"), err.toString());
    }
}
