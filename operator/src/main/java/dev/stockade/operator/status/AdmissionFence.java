package dev.stockade.operator.status;

/**
 * The state of the policy's admission fence, as its {@code AdmissionFence} condition shows it.
 *
 * @param reason  {@code Active}, {@code Disabled} (the operator's {@code stockade.admission.fence}
 *                is false) or {@code Unsupported} (the API server does not serve
 *                admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy, Kubernetes before 1.30)
 */
public record AdmissionFence(boolean active, String reason, String message) {

    /**
     * @param namespaceDefaults whether opt-in namespaces get their class set (the API server serves
     *                          MutatingAdmissionPolicy), or only have pods without one refused
     * @param softTaint         the pool's taint is PreferNoSchedule, which keeps no pod off
     */
    public static AdmissionFence active(String policyName, String bindingName, boolean namespaceDefaults, boolean softTaint) {
        return new AdmissionFence(true, "Active", "ValidatingAdmissionPolicy " + policyName + " (binding " + bindingName
                + ") refuses pods that would run on the pool without one of its RuntimeClasses"
                + (softTaint ? " (with taintEffect PreferNoSchedule the scheduler may still place pods that tolerate nothing "
                + "on the pool, which no admission check can see: use NoSchedule or NoExecute)" : "")
                + "; namespaces labelled "
                + "stockade.dev/runtime-class=<class> " + (namespaceDefaults ? "get that class on pods that name none"
                : "have pods without a Stockade class refused (this API server serves no admissionregistration.k8s.io/v1beta1 "
                + "MutatingAdmissionPolicy to set it)"));
    }

    public static AdmissionFence disabled() {
        return new AdmissionFence(false, "Disabled", "stockade.admission.fence is false in the operator's settings "
                + "(chart value admission.fence): pods that tolerate the pool's taint run there under plain runc");
    }

    public static AdmissionFence unsupported(String why) {
        return new AdmissionFence(false, "Unsupported", "the API server does not serve admissionregistration.k8s.io/v1 "
                + "ValidatingAdmissionPolicy (" + why + "); Kubernetes 1.30 or later is needed: pods that tolerate the pool's "
                + "taint run there under plain runc");
    }
}
