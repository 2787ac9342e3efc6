extension Kernels {
  static func convolutionForward(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>) {
    naiveConvolutionForward(g, input: input, filter: filter, bias: bias, residual: residual, relu: relu, output: output)
  }
  static func convolutionBackwardInput(_ g: ConvolutionGeometry, outputGradient: UnsafePointer<Float>, filter: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
    naiveConvolutionBackwardInput(g, outputGradient: outputGradient, filter: filter, inputGradient: inputGradient)
  }
  static func convolutionBackwardFilter(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, filterGradient: UnsafeMutablePointer<Float>) {
    naiveConvolutionBackwardFilter(g, input: input, outputGradient: outputGradient, filterGradient: filterGradient)
  }
}
