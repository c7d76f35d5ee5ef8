package dev.iris.cli;

import java.util.List;

/**
 * One command-line option, as argparse declares it in SGLang.
 *
 * @param name         the long name without {@code --}, dashed
 * @param aliases      other long names for the same option
 * @param type         what value it takes
 * @param defaultValue the value when absent, as typed ({@code null}: Python's {@code None})
 * @param effect       what Iris does with it
 * @param help         one line for {@code --help}
 */
record Flag(String name, List<String> aliases, Type type, String defaultValue, Effect effect, String help) {

    /** The kinds of value, with argparse's behaviour. */
    enum Type {
        /** {@code store_true}: no value. */
        BOOL,
        STRING,
        INT,
        FLOAT,
        /** {@code nargs='*'} or {@code '+'}: every value up to the next option. */
        LIST,
        /** {@code action='append'}: one value per occurrence, so positionals may follow. */
        APPEND;

        /** Whether the option collects values into a list. */
        boolean many() {
            return this == LIST || this == APPEND;
        }
    }

    /** Whether Iris implements a flag (contract §8.2). */
    enum Effect {
        /** Implemented. */
        E,
        /** Accepted for compatibility; a non-default value is warned about and has no effect. */
        N,
        /** Values Iris cannot honour are refused at start-up. */
        R
    }

    Flag {
        aliases = List.copyOf(aliases);
    }

    static Flag of(String name, Type type, String defaultValue, Effect effect, String help) {
        return new Flag(name, List.of(), type, defaultValue, effect, help);
    }

    Flag alias(String... more) {
        return new Flag(name, List.of(more), type, defaultValue, effect, help);
    }

    /** The name SGLang's {@code ServerArgs} field has: dashes as underscores. */
    String field() {
        return name.replace('-', '_');
    }
}
