package dev.stockade.runtime.spec;

/**
 * A container the profile does not allow. The message names the spec field, the rule and what the
 * pod's author can do, because it is what {@code kubectl describe pod} will show.
 */
public final class Refusal extends Exception {

    private final String field;
    private final String rule;
    private final String detail;

    public Refusal(String field, String rule, String detail) {
        super(field + ": " + detail + " (rule " + rule + ")");
        this.field = field;
        this.rule = rule;
        this.detail = detail;
    }

    /** What is wrong and what to do, without the field and the rule. */
    public String detail() {
        return detail;
    }

    public String field() {
        return field;
    }

    public String rule() {
        return rule;
    }
}
