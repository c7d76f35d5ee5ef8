package dev.iris.templates;

import java.util.List;

/** How a conversation's turns are joined into prompt text: SGLang's separator styles (contract §7.1). */
enum SeparatorStyle {

    /** Llama 3: header blocks, texts stripped, {@code <|eot_id|>} after each. */
    LLAMA3 {
        @Override
        String serialise(ConversationTemplate.Params t, String system, List<Turn> turns) {
            StringBuilder b = new StringBuilder("<|begin_of_text|>");
            if (!system.isEmpty()) {
                b.append("<|start_header_id|>system<|end_header_id|>\n\n").append(system).append("<|eot_id|>");
            }
            for (Turn turn : turns) {
                b.append("<|start_header_id|>").append(turn.tag()).append("<|end_header_id|>\n\n");
                if (!turn.text().isEmpty()) {
                    b.append(turn.text().strip()).append("<|eot_id|>");
                }
            }
            return b.toString();
        }
    },

    /** Qwen2-VL: the system block always, then {@code tag\ntext<|im_end|>\n} per turn. */
    ADD_NEW_LINE_SINGLE {
        @Override
        String serialise(ConversationTemplate.Params t, String system, List<Turn> turns) {
            StringBuilder b = new StringBuilder();
            String systemPart = t.systemWrapper().replace("{system}", system);
            if (!systemPart.isEmpty()) {
                b.append(systemPart).append(t.sep());
            }
            for (Turn turn : turns) {
                b.append(turn.tag()).append('\n');
                if (!turn.text().isEmpty()) {
                    b.append(turn.text()).append(t.sep());
                }
            }
            return b.toString();
        }
    },

    /** ChatML: as ADD_NEW_LINE_SINGLE with the separator {@code <|im_end|>} and a newline. */
    CHATML {
        @Override
        String serialise(ConversationTemplate.Params t, String system, List<Turn> turns) {
            StringBuilder b = new StringBuilder();
            String systemPart = t.systemWrapper().replace("{system}", system);
            if (!systemPart.isEmpty()) {
                b.append(systemPart).append(t.sep()).append('\n');
            }
            for (Turn turn : turns) {
                b.append(turn.tag()).append('\n');
                if (!turn.text().isEmpty()) {
                    b.append(turn.text()).append(t.sep()).append('\n');
                }
            }
            return b.toString();
        }
    },

    /** Vicuna: {@code TAG: text} with separators alternating by position (not by role). */
    ADD_COLON_TWO {
        @Override
        String serialise(ConversationTemplate.Params t, String system, List<Turn> turns) {
            StringBuilder b = new StringBuilder(t.systemWrapper().replace("{system}", system)).append(t.sep());
            for (int j = 0; j < turns.size(); j++) {
                Turn turn = turns.get(j);
                if (turn.text().isEmpty()) {
                    b.append(turn.tag()).append(':');
                } else {
                    b.append(turn.tag()).append(": ").append(turn.text()).append(j % 2 == 0 ? t.sep() : t.sep2());
                }
            }
            return b.toString();
        }
    };

    /** One turn: its role tag and its text ({@code ""} for the generation slot). */
    record Turn(String tag, String text) {
    }

    abstract String serialise(ConversationTemplate.Params template, String system, List<Turn> turns);
}
