/**
 * The contract between the Iris runtime and its plugins: the service interfaces (SPIs) that
 * model families, chat templates, compute backends, attention backends and samplers implement,
 * and the value types they exchange. Depends on nothing but the JDK.
 */
module dev.iris.api {
    exports dev.iris.api;
    exports dev.iris.api.tensor;
    exports dev.iris.api.config;
    exports dev.iris.api.compute;
    exports dev.iris.api.attention;
    exports dev.iris.api.model;
    exports dev.iris.api.chat;
    exports dev.iris.api.sampling;
    exports dev.iris.api.quant;
}
