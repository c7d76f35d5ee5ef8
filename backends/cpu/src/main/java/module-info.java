/**
 * The CPU compute and attention backends (issue #3): Vector API kernels over memory-mapped
 * weights, on all cores. The default backend and the reference for the others.
 */
module dev.iris.backend.cpu {
    requires dev.iris.api;
}
