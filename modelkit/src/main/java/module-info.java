/**
 * The blocks model plugins are built from: neural-network layers over the ComputeBackend (linear,
 * norms, rotary variants, attention, MLPs, decoder layer, ViT encoder) and image preprocessing
 * ops. Depends on api only.
 */
module dev.iris.modelkit {
    requires transitive dev.iris.api;

    exports dev.iris.modelkit.config;
    exports dev.iris.modelkit.image;
    exports dev.iris.modelkit.lm;
    exports dev.iris.modelkit.rope;
    exports dev.iris.modelkit.vision;
}
