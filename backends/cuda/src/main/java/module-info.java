/**
 * The compute and attention backends on NVIDIA GPUs through the JavaCPP CUDA presets (issue #11).
 */
module dev.iris.backend.cuda {
    requires dev.iris.api;
}
