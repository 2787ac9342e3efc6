/// The engine's numeric kernels: internal, concrete `Float`, over unsafe buffers.
///
/// Every fast kernel has a naive twin (`naive…`) that is its test oracle. Callers reach kernels
/// only through the layer types, which check shapes before calling in.
enum Kernels {}
