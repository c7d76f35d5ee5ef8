package dev.iris.runtime.media;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Fetches an image over HTTP/1.1, checking every hop before connecting: the host against
 * {@code --allowed-media-domains}, and each address it resolves to against {@link AddressPolicy}.
 * The connection goes to the address that was checked (resolved once, no DNS-rebinding window),
 * with TLS verified against the host name; redirects are followed up to the limit, each hop
 * checked again. Reads stop at the size cap and the deadline.
 */
final class HttpFetcher {

    /** Host name to addresses (tests inject one where there is no real network). */
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** Opens a TCP connection to a checked address (tests inject one to reach a local server). */
    interface Connector {
        Socket connect(InetSocketAddress address, int timeoutMillis) throws IOException;
    }

    static final Resolver DNS = InetAddress::getAllByName;
    static final Connector TCP = (address, timeout) -> {
        Socket s = new Socket();
        s.connect(address, timeout);
        return s;
    };

    private final MediaOptions options;
    private final Resolver resolver;
    private final Connector connector;

    HttpFetcher(MediaOptions options, Resolver resolver, Connector connector) {
        this.options = options;
        this.resolver = resolver;
        this.connector = connector;
    }

    /** The body of a 2xx answer, after redirects; the cause in words otherwise. */
    byte[] fetch(URI uri) throws FetchException {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        URI current = uri;
        for (int hop = 0; ; hop++) {
            Response r = get(current, deadline);
            if (r.status >= 300 && r.status < 400 && r.status != 304) {
                String location = r.headers.get("location");
                if (location == null) {
                    throw new FetchException("HTTP " + r.status + " without a Location from " + current);
                }
                if (hop >= options.maxRedirects()) {
                    throw new FetchException("more than " + options.maxRedirects() + " redirects from " + uri);
                }
                current = current.resolve(location.trim());
                continue;
            }
            if (r.status < 200 || r.status >= 300) {
                throw new FetchException("HTTP " + r.status + " from " + current);
            }
            return r.body;
        }
    }

    /** A failure with its cause for the client. */
    static final class FetchException extends Exception {
        FetchException(String message) {
            super(message, null, false, false);
        }
    }

    private record Response(int status, Map<String, String> headers, byte[] body) {
    }

    private Response get(URI uri, long deadline) throws FetchException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new FetchException("unsupported URL scheme in " + uri);
        }
        String host = uri.getHost();
        if (host == null) {
            throw new FetchException("no host in " + uri);
        }
        if (!options.allowedDomains().isEmpty() && !options.allowedDomains().contains(host.toLowerCase(Locale.ROOT))) {
            throw new FetchException("host " + host + " is not in --allowed-media-domains");
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new FetchException("cannot resolve host " + host);
        }
        if (addresses.length == 0) {
            throw new FetchException("cannot resolve host " + host);
        }
        if (!options.allowPrivateUrls()) {
            for (InetAddress a : addresses) {
                if (AddressPolicy.isInternal(a)) {
                    throw new FetchException("host " + host + " resolves to the private or local address "
                            + a.getHostAddress() + "; start the server with --allow-private-media-urls to allow it");
                }
            }
        }
        boolean tls = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        try (Socket socket = open(addresses[0], host, port, tls, deadline)) {
            OutputStream out = socket.getOutputStream();
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            String hostHeader = uri.getPort() > 0 ? host + ":" + uri.getPort() : host;
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: " + options.userAgent()
                    + "\r\nAccept: image/*,*/*;q=0.8\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return read(socket, uri, deadline);
        } catch (SocketTimeoutException e) {
            throw new FetchException("timed out fetching " + uri);
        } catch (IOException e) {
            throw new FetchException("cannot fetch " + uri + ": " + e.getMessage());
        }
    }

    private Socket open(InetAddress address, String host, int port, boolean tls, long deadline)
            throws IOException, FetchException {
        Socket socket = connector.connect(new InetSocketAddress(address, port), remainingMillis(deadline, host));
        socket.setSoTimeout(remainingMillis(deadline, host));
        if (!tls) {
            return socket;
        }
        SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(socket, host, port, true);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host, not the address
        ssl.setSSLParameters(p);
        ssl.startHandshake();
        return ssl;
    }

    private static int remainingMillis(long deadline, String what) throws FetchException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) {
            throw new FetchException("timed out fetching from " + what);
        }
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    private Response read(Socket socket, URI uri, long deadline) throws IOException, FetchException {
        InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new FetchException("not an HTTP answer from " + uri);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new FetchException("not an HTTP answer from " + uri);
        }
        Map<String, String> headers = new HashMap<>();
        int headerBytes = 0;
        for (String h; !(h = line(in)).isEmpty(); ) {
            headerBytes += h.length();
            if (headerBytes > 64 * 1024) {
                throw new FetchException("headers too large from " + uri);
            }
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
        }
        if (code >= 300 && code < 400) {
            return new Response(code, headers, new byte[0]);
        }
        long max = options.maxImageBytes();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (long size; (size = Long.parseLong(line(in).split(";")[0].trim(), 16)) > 0; ) {
                copy(in, body, size, max, uri, deadline);
                line(in);
            }
        } else if (headers.containsKey("content-length")) {
            long length = Long.parseLong(headers.get("content-length"));
            if (length > max) {
                throw new FetchException("the image at " + uri + " is larger than the limit of " + max
                        + " bytes (--max-image-bytes)");
            }
            copy(in, body, length, max, uri, deadline);
        } else {
            copy(in, body, Long.MAX_VALUE, max, uri, deadline);
        }
        return new Response(code, headers, body.toByteArray());
    }

    /** Copies up to {@code n} bytes (to the end of the stream when unbounded). */
    private static void copy(InputStream in, ByteArrayOutputStream out, long n, long max, URI uri, long deadline)
            throws IOException, FetchException {
        byte[] buf = new byte[16384];
        long left = n;
        while (left > 0) {
            remainingMillis(deadline, uri.toString());
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (n != Long.MAX_VALUE) {
                    throw new FetchException("connection closed before the end of the image from " + uri);
                }
                return;
            }
            out.write(buf, 0, r);
            left -= r;
            if (out.size() > max) {
                throw new FetchException("the image at " + uri + " is larger than the limit of " + max
                        + " bytes (--max-image-bytes)");
            }
        }
    }

    /** One CRLF-terminated header line, without the terminator. */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.append((char) c);
            }
            if (b.length() > 16 * 1024) {
                throw new IOException("header line too long");
            }
        }
        return b.toString();
    }
}
