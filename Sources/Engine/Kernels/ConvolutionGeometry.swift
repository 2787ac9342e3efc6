/// The sizes of one 2-D convolution on channels-last tensors.
///
/// Layouts used by every convolution kernel:
/// - input  (N, H, W, C)  — batch, height, width, channels (channels fastest);
/// - filter (R, S, C, K)  — kernel height, kernel width, input channels, output channels;
/// - output (N, P, Q, K)  — with P = (H + 2·padding − R) / stride + 1, Q likewise.
/// Padding is zero padding, the same on all four sides, as in PyTorch's `Conv2d(padding:)`.
public struct ConvolutionGeometry: Hashable, Sendable {
  public var batch: Int
  public var inputHeight: Int
  public var inputWidth: Int
  public var inputChannels: Int
  public var outputChannels: Int
  public var kernelHeight: Int
  public var kernelWidth: Int
  public var stride: Int
  public var padding: Int

  public init(
    batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int, outputChannels: Int,
    kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
  ) {
    self.batch = batch
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.stride = stride
    self.padding = padding
  }

  /// P, the output height.
  public var outputHeight: Int { (inputHeight + 2 * padding - kernelHeight) / stride + 1 }
  /// Q, the output width.
  public var outputWidth: Int { (inputWidth + 2 * padding - kernelWidth) / stride + 1 }

  public var inputCount: Int { batch * inputHeight * inputWidth * inputChannels }
  public var outputCount: Int { batch * outputHeight * outputWidth * outputChannels }
  public var filterCount: Int { kernelHeight * kernelWidth * inputChannels * outputChannels }
  /// Multiply-accumulates for the whole batch.
  public var multiplyAccumulates: Int {
    batch * outputHeight * outputWidth * outputChannels * kernelHeight * kernelWidth * inputChannels
  }
}
