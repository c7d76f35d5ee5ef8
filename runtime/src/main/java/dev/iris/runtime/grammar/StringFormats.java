package dev.iris.runtime.grammar;

import java.util.Map;

/**
 * JSON Schema {@code format}s as regexes over a string's content. Each is a subset of what its
 * RFC allows (no leap seconds, no IPv6 with an embedded IPv4 address, no IP-literal URI hosts,
 * lower-case {@code t}/{@code z} not accepted), so whatever is generated validates.
 */
final class StringFormats {

    private static final String DAY31 = "(0[1-9]|[12][0-9]|3[01])";
    private static final String DAY30 = "(0[1-9]|[12][0-9]|30)";
    private static final String LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)";
    private static final String DATE = "([0-9]{4}-(0[13578]|1[02])-" + DAY31
            + "|[0-9]{4}-(0[469]|11)-" + DAY30
            + "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])"
            + "|" + LEAP_YEAR + "-02-29)";
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
    // Labels of at most 48 characters, at most 5 of them: a whole name stays under RFC 1034's 253.
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,46}[A-Za-z0-9])?";
    private static final String HOSTNAME = LABEL + "(\\." + LABEL + "){0,4}";
    private static final String H16 = "[0-9A-Fa-f]{1,4}";
    private static final String IPV4_PART = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    // RFC 3986 pieces: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
    private static final String UNRESERVED_SUBDELIM = "-A-Za-z0-9._~!$&'()*+,;="; // '-' first: a literal
    private static final String PCT = "%[0-9A-Fa-f]{2}";
    private static final String PCHAR = "([" + UNRESERVED_SUBDELIM + ":@]|" + PCT + ")";
    private static final String SEGMENT_PATH = PCHAR + "+(/" + PCHAR + "*)*";

    private static final Map<String, String> REGEXES = Map.of(
            "date", DATE,
            "time", TIME,
            "date-time", DATE + "T" + TIME,
            "email", "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@" + HOSTNAME,
            "hostname", HOSTNAME,
            "ipv4", "(" + IPV4_PART + "\\.){3}" + IPV4_PART,
            "ipv6", "((" + H16 + ":){7}" + H16
                    + "|(" + H16 + ":){1,7}:"
                    + "|(" + H16 + ":){1,6}:" + H16
                    + "|(" + H16 + ":){1,5}(:" + H16 + "){1,2}"
                    + "|(" + H16 + ":){1,4}(:" + H16 + "){1,3}"
                    + "|(" + H16 + ":){1,3}(:" + H16 + "){1,4}"
                    + "|(" + H16 + ":){1,2}(:" + H16 + "){1,5}"
                    + "|" + H16 + ":(:" + H16 + "){1,6}"
                    + "|:((:" + H16 + "){1,7}|:))",
            "uuid", "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
            // scheme ":" then "//" authority and path, an absolute path, a rootless path or nothing; query; fragment.
            "uri", "[A-Za-z][A-Za-z0-9+.-]*:"
                    + "(//(([" + UNRESERVED_SUBDELIM + ":]|" + PCT + ")*@)?([" + UNRESERVED_SUBDELIM + "]|" + PCT + ")*"
                    + "(:[0-9]*)?(/" + PCHAR + "*)*"
                    + "|/(" + SEGMENT_PATH + ")?"
                    + "|" + SEGMENT_PATH + ")?"
                    + "(\\?(" + PCHAR + "|[/?])*)?(#(" + PCHAR + "|[/?])*)?");

    private StringFormats() {
    }

    /** The regex of a format, or null when Iris does not know it. */
    static String regex(String format) {
        return REGEXES.get(format);
    }
}
