package dev.iris.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {

    private static final Set<String> VALUED = Set.of("plugins-dir", "plugin-host");

    @Test
    void acceptsSglangSpellingsSpaceOrEqualsDashesOrUnderscores() {
        CommandLine cl = CommandLine.parse(List.of("--plugins_dir=/p", "--plugin-host", "osgi", "--help", "x"),
                VALUED, Set.of("help"));
        assertEquals("/p", cl.get("plugins-dir", null));
        assertEquals("osgi", cl.get("plugin-host", null));
        assertTrue(cl.flag("help"));
        assertEquals(List.of("x"), cl.positional());
    }

    @Test
    void rejectsUnknownOptionsAndMissingValuesByName() {
        assertEquals("unknown option --model-pth", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--model-pth", "x"), VALUED, Set.of())).getMessage());
        assertEquals("--plugin-host needs a value", assertThrows(UsageException.class,
                () -> CommandLine.parse(List.of("--plugin-host"), VALUED, Set.of())).getMessage());
    }

    @Test
    void mainExitsWithTwoAndSaysWhyOnABadCommandLine() {
        var err = new java.io.ByteArrayOutputStream();
        int rc = Main.run(List.of("plugins", "--plugin-host", "karaf"), System.out, new java.io.PrintStream(err));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("unknown plugin host 'karaf' (expected jpms or osgi)"), err.toString());
    }
}
