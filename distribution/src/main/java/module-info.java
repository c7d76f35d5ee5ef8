/**
 * The {@code iris} command line: {@code iris serve} (SGLang's flags, the bundled demo model by
 * default) and {@code iris plugins}.
 */
module dev.iris.distribution {
    requires dev.iris.runtime;
    requires dev.iris.http;
    requires java.logging;
    requires jdk.unsupported; // sun.misc.Signal: SIGTERM drains requests and exits 0
}
