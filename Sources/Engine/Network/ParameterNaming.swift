/// Whose parameter names a network uses, when not the family's classic PyTorch code.
///
/// Names are the state-dictionary keys of the library that publishes the checkpoints, so a
/// downloaded file loads key for key and errors name the keys the user sees in it.
public enum ParameterNaming: String, Codable, Sendable, CaseIterable {
  /// Hugging Face transformers' `ResNetForImageClassification` (`resnet.embedder.embedder…`,
  /// `resnet.encoder.stages.{s}.layers.{b}.layer.{k}.convolution/normalization`,
  /// `….shortcut.convolution/normalization`, `classifier.1`).
  case transformers
  /// timm's pre-activation `ResNetV2` (`stem.conv`, `stages.{s}.blocks.{b}.norm{k}/conv{k}`,
  /// `….downsample.conv`, final `norm`, `head.fc`).
  case timmResNetV2 = "timm-resnetv2"
}

/// The parameter-name prefixes of one network's layers (stage and block indices are 0-based).
///
/// Without a `ParameterNaming` the classic names are used: torchvision's (`conv1`, `bn1`,
/// `layer{s+1}.{b}.conv{k}/bn{k}`, `downsample.0/1`) for post-activation nets and kuangliu's
/// (`layer{s+1}.{b}.bn{k}/conv{k}`, `shortcut.0`, final `bn`) for pre-activation nets.
struct LayerNames {
  var naming: ParameterNaming?
  /// Module name of classic projection shortcuts (`downsample` or `shortcut`).
  var projectionName: String
  /// Classic names of timm's average-pool shortcuts: `downsample.0` is the pool, so the
  /// convolution and batch norm are `downsample.1/2`.
  var averagePoolShortcut = false

  /// The stem convolution.
  var stemConvolution: String {
    switch naming {
    case nil: return "conv1"
    case .transformers: return "resnet.embedder.embedder.convolution"
    case .timmResNetV2: return "stem.conv"
    }
  }

  /// The stem batch norm (post-activation nets).
  var stemNormalization: String {
    switch naming {
    case nil, .timmResNetV2: return "bn1"
    case .transformers: return "resnet.embedder.embedder.normalization"
    }
  }

  /// The final batch norm of pre-activation nets.
  var finalNormalization: String { naming == .timmResNetV2 ? "norm" : "bn" }

  /// The module prefix of block `index` of stage `stage`.
  func block(stage: Int, index: Int) -> String {
    switch naming {
    case nil: return "layer\(stage + 1).\(index)"
    case .transformers: return "resnet.encoder.stages.\(stage).layers.\(index)"
    case .timmResNetV2: return "stages.\(stage).blocks.\(index)"
    }
  }

  /// The `k`-th convolution (1-based) of a block's branch.
  func convolution(_ block: String, _ k: Int) -> String {
    naming == .transformers ? "\(block).layer.\(k - 1).convolution" : "\(block).conv\(k)"
  }

  /// The `k`-th batch norm (1-based, in forward order) of a block.
  func normalization(_ block: String, _ k: Int) -> String {
    switch naming {
    case nil: return "\(block).bn\(k)"
    case .transformers: return "\(block).layer.\(k - 1).normalization"
    case .timmResNetV2: return "\(block).norm\(k)"
    }
  }

  /// The projection shortcut's convolution.
  func projectionConvolution(_ block: String) -> String {
    switch naming {
    case nil: return "\(block).\(projectionName).\(averagePoolShortcut ? 1 : 0)"
    case .transformers: return "\(block).shortcut.convolution"
    case .timmResNetV2: return "\(block).downsample.conv"
    }
  }

  /// The projection shortcut's batch norm.
  func projectionNormalization(_ block: String) -> String {
    switch naming {
    case nil: return "\(block).\(projectionName).\(averagePoolShortcut ? 2 : 1)"
    case .transformers: return "\(block).shortcut.normalization"
    case .timmResNetV2: return "\(block).downsample.norm"
    }
  }
}
