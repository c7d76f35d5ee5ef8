package dev.iris.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launcher's class-data-sharing archive is written by the JVM when a server exits
 * ({@code -XX:ArchiveClassesAtExit}), as a candidate; the next start keeps it only if that server
 * had warmed up, which it says with the marker file {@code -Diris.cds.ready=FILE}. So a run that
 * failed early (a bad flag, a missing model) cannot leave an archive of the few classes it loaded.
 */
final class ClassDataArchive {

    private ClassDataArchive() {
    }

    /** The server has warmed up: its classes are worth keeping. */
    static void markReady() {
        String marker = System.getProperty("iris.cds.ready");
        if (marker == null) {
            return;
        }
        try {
            Files.writeString(Path.of(marker), "ready\n");
        } catch (IOException e) {
            System.getLogger(ClassDataArchive.class.getName()).log(System.Logger.Level.DEBUG,
                    "no class-data archive will be kept: " + e);
        }
    }
}
