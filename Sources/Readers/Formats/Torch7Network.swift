/// Turns a Torch7 ResNet (fb.resnet.torch's `resnet.lua` and `preresnet.lua`) into a state
/// dictionary with PyTorch names, so that architecture inference treats it like the PyTorch
/// families it matches.
///
/// fb.resnet.torch builds every residual block as
/// `Sequential[(BN, ReLU)?, ConcatTable[branch, shortcut], CAddTable, (ReLU)?]`: the ReLU after
/// the addition marks post-activation blocks; pre-activation blocks have their BN-ReLU either in
/// front of the `ConcatTable` ('both_preact', shared with a projection shortcut), first in the
/// branch ('preact', identity shortcut) or nowhere (the 'no_preact' first block after an ImageNet
/// stem that ends in BN-ReLU). Shortcuts are `Identity`, `Sequential[conv1×1, (BN)?]`, or the
/// option-A `Sequential[SpatialAveragePooling(1,1,s,s), Concat(2)[Identity, MulConstant(0)]]`
/// (subsample, then as many zero channels as the input has, after the input's channels; recorded
/// in the archive metadata under `zeroChannelsAfterInputKey`, post-activation blocks only).
///
/// Names produced: stem `conv1` (`bn1`), blocks `layer{stage}.{block}` (stages start at the first
/// block and at each strided block) with torchvision's `conv{k}`/`bn{k}`/`downsample.0/1` for
/// post-activation blocks and kuangliu's `bn{k}`/`conv{k}`/`shortcut.0` for pre-activation ones
/// (a 'no_preact' block has no `bn1`), final `bn`, classifier `fc`. `cudnn.*` modules are
/// read as their `nn.*` equivalents; `nn.View`, `nn.Reshape`, `nn.Copy`, `nn.Dropout` are
/// ignored (inference); the final `SpatialAveragePooling` is taken as global average pooling.
public enum Torch7Network {
  /// Archive metadata: "true" when a stage's first block shares its BN-ReLU with an identity
  /// shortcut ('both_preact' at equal shapes, fb.resnet.torch's first CIFAR block).
  public static let sharedPreActivationKey = "torch7_shared_preactivation"
  /// Archive metadata: "true" when the network has option-A shortcuts, whose zero channels follow
  /// the input's (fb.resnet.torch's CIFAR default).
  public static let zeroChannelsAfterInputKey = "torch7_zero_channels_after_input"
  /// Reads a `.t7` network into a tensor archive (format `.torch7`).
  /// - Throws: `Torch7Error`.
  public static func archive(_ bytes: [UInt8], file: String) throws -> TensorArchive {
    let document = try Torch7Document.parse(bytes, file: file)
    var builder = Builder(document: document)
    return try builder.build()
  }

  struct Module {
    /// The object's reference index.
    var index: Int
    var name: String
    var fields: Int
    var path: String
  }

  struct Builder {
    let document: Torch7Document
    var tensors: [(name: String, tensor: RawTensor)] = []
    var file: String { document.file }

    init(document: Torch7Document) { self.document = document }

    func fail(_ path: String, _ reason: String) -> Torch7Error {
      Torch7Error.unsupportedNetwork(file: file, path: path, reason: reason)
    }

    func module(_ value: Torch7Document.Value, path: String) throws -> Module {
      guard case .object(let index) = value, let object = document.objects[index],
        case .fields(let fields) = object.payload, document.tables[fields] != nil
      else { throw fail(path, "expected an nn module") }
      let name = object.className.split(separator: ".").last.map(String.init) ?? object.className
      return Module(index: index, name: name, fields: fields, path: path)
    }

    func children(_ m: Module) throws -> [Module] {
      guard case .table(let table)? = document.field(m.fields, "modules"), let values = document.array(table) else {
        throw fail(m.path, "\(m.name) without a 'modules' list")
      }
      return try values.enumerated().map { try module($1, path: m.path + ".modules[\($0 + 1)]") }
    }

    func number(_ m: Module, _ key: String, default value: Double? = nil) throws -> Int {
      if case .number(let number)? = document.field(m.fields, key), number == number.rounded(), abs(number) < 1e9 {
        return Int(number)
      }
      if let value { return Int(value) }
      throw fail(m.path, "\(m.name) has no integer field '\(key)'")
    }

    func tensor(_ m: Module, _ key: String) throws -> (shape: [Int], values: [Float])? {
      guard let value = document.field(m.fields, key) else { return nil }
      if value == .nil { return nil }
      guard case .object(let index) = value, let object = document.objects[index],
        case .tensor(let tensor) = object.payload
      else { throw fail(m.path, "\(m.name).\(key) is not a tensor") }
      return (tensor.shape, try document.floats(tensor))
    }

    func isBlock(_ m: Module) throws -> Bool {
      guard m.name == "Sequential" else { return false }
      let names = try children(m).map(\.name)
      guard let concat = names.firstIndex(of: "ConcatTable") else { return false }
      return concat + 1 < names.count && names[concat + 1] == "CAddTable"
    }

    /// Leaf modules and residual blocks in forward order.
    /// - Throws: `Torch7Error.unsupportedNetwork` for a container that contains itself.
    func flatten(_ m: Module, enclosing: Set<Int> = []) throws -> [(module: Module, isBlock: Bool)] {
      guard !enclosing.contains(m.index) else { throw fail(m.path, "a module that contains itself (a cycle)") }
      if try isBlock(m) { return [(m, true)] }
      if m.name == "Sequential" {
        return try children(m).flatMap { try flatten($0, enclosing: enclosing.union([m.index])) }
      }
      return [(m, false)]
    }

    mutating func build() throws -> TensorArchive {
      var root = document.root
      if case .table(let table) = root, let model = document.field(table, "model") { root = model }
      let top = try module(root, path: "")
      let items = try flatten(top)
      guard let first = items.firstIndex(where: \.isBlock), let last = items.lastIndex(where: \.isBlock) else {
        throw fail("", "no residual blocks (Sequential[ConcatTable, CAddTable]) found")
      }
      if let stray = items[first...last].first(where: { !$0.isBlock }) {
        throw fail(stray.module.path, "\(stray.module.name) between residual blocks")
      }
      // Stem.
      let stem = items[..<first].map(\.module).filter { !ignored($0) }
      var stemNames = stem.map(\.name)
      guard stemNames.first == "SpatialConvolution" else {
        throw fail(stem.first?.path ?? "", "the stem must start with a SpatialConvolution, found \(stemNames)")
      }
      try convolution(stem[0], "conv1")
      stemNames.removeFirst()
      if stemNames.first == "SpatialBatchNormalization" {
        try batchNorm(stem[1], "bn1")
        stemNames.removeFirst()
        guard stemNames.first == "ReLU" else { throw fail(stem[1].path, "stem batch norm not followed by ReLU") }
        stemNames.removeFirst()
      }
      if stemNames.first == "SpatialMaxPooling" {
        let pool = stem[stem.count - stemNames.count]
        let shape = try [number(pool, "kW"), number(pool, "kH"), number(pool, "dW"), number(pool, "dH"),
                         number(pool, "padW", default: 0), number(pool, "padH", default: 0)]
        guard shape == [3, 3, 2, 2, 1, 1], document.field(pool.fields, "ceil_mode") != .boolean(true) else {
          throw fail(pool.path, "max pool \(shape), expected 3×3 stride 2 padding 1 (floor mode)")
        }
        stemNames.removeFirst()
      }
      guard stemNames.isEmpty else { throw fail(stem.last?.path ?? "", "unexpected stem modules \(stemNames)") }

      // Blocks.
      var stage = 0
      var index = 0
      var isPreActivation = false
      var sharedPreActivation = false
      var optionA = false
      for (position, item) in items[first...last].enumerated() {
        let parts = try children(item.module)
        let concat = parts.firstIndex { $0.name == "ConcatTable" }!
        let before = parts[..<concat]
        let after = parts[(concat + 2)...]
        let pair = try children(parts[concat])
        guard pair.count == 2 else { throw fail(parts[concat].path, "ConcatTable with \(pair.count) members, expected 2") }
        let branch = try pair[0].name == "Sequential" ? children(pair[0]) : [pair[0]]
        let stride = try branch.filter { $0.name == "SpatialConvolution" }.map { try number($0, "dW") }.max() ?? 1
        if position > 0 && stride > 1 {
          stage += 1
          index = 0
        }
        let name = "layer\(stage + 1).\(index)"
        index += 1
        let post = after.map(\.name)
        guard post == [] || post == ["ReLU"] else { throw fail(item.module.path, "after the addition: \(post)") }
        let blockPreActivation = post.isEmpty
        if position == 0 { isPreActivation = blockPreActivation }
        guard blockPreActivation == isPreActivation else {
          throw fail(item.module.path, "mixes pre- and post-activation blocks")
        }
        var layers = Array(branch)
        var normalization = 1
        var preActivationOutside = false
        if !before.isEmpty {
          guard before.map(\.name) == ["SpatialBatchNormalization", "ReLU"], isPreActivation else {
            throw fail(item.module.path, "before the ConcatTable: \(before.map(\.name)), expected BN, ReLU")
          }
          try batchNorm(before[before.startIndex], name + ".bn1")
          normalization = 2
          preActivationOutside = true
        } else if isPreActivation, layers.first?.name == "SpatialBatchNormalization" {
          guard layers.count > 1, layers[1].name == "ReLU" else { throw fail(layers[0].path, "pre-activation BN without ReLU") }
          try batchNorm(layers[0], name + ".bn1")
          layers.removeFirst(2)
          normalization = 2
        } else if isPreActivation {
          guard position == 0, tensors.contains(where: { $0.name == "bn1.weight" }) else {
            throw fail(item.module.path, "pre-activation block without BN-ReLU (only the first block after a BN-ReLU stem may)")
          }
          normalization = 2
        }
        var convolutionIndex = 1
        var expectReLU = false
        for layer in layers {
          switch layer.name {
          case "SpatialConvolution":
            try convolution(layer, "\(name).conv\(convolutionIndex)")
            convolutionIndex += 1
            if !isPreActivation { normalization = convolutionIndex - 1 }
          case "SpatialBatchNormalization":
            try batchNorm(layer, "\(name).bn\(normalization)")
            normalization += 1
            expectReLU = isPreActivation
          case "ReLU":
            expectReLU = false
          default:
            throw fail(layer.path, "\(layer.name) in a residual branch")
          }
        }
        if expectReLU { throw fail(pair[0].path, "branch ends in batch norm without ReLU") }
        // Shortcut.
        let shortcut = pair[1]
        switch shortcut.name {
        case "Identity":
          if preActivationOutside {
            guard index == 1 else {
              throw fail(item.module.path, "BN-ReLU shared with an identity shortcut beyond a stage's first block")
            }
            sharedPreActivation = true
          }
        case "Sequential":
          let parts = try children(shortcut)
          let names = parts.map(\.name)
          if names.first == "SpatialAveragePooling" || names.contains("Concat") {
            guard !isPreActivation else {
              throw fail(
                shortcut.path,
                "option-A shortcut in a pre-activation network is not supported; networks trained with -shortcutType B load")
            }
            try optionAShortcut(parts, stride: stride, path: shortcut.path)
            optionA = true
            continue
          }
          let projection = isPreActivation ? "shortcut" : "downsample"
          guard names == ["SpatialConvolution"] || names == ["SpatialConvolution", "SpatialBatchNormalization"] else {
            throw fail(shortcut.path, "shortcut \(names), expected a 1×1 convolution (and batch norm)")
          }
          if isPreActivation && !preActivationOutside && before.isEmpty && position > 0 {
            throw fail(shortcut.path, "a projection shortcut on the raw input of a pre-activation block ('C' shortcuts) is not supported")
          }
          try convolution(parts[0], "\(name).\(projection).0")
          if parts.count == 2 { try batchNorm(parts[1], "\(name).\(projection).1") }
        default:
          throw fail(shortcut.path, "shortcut \(shortcut.name), expected Identity or Sequential")
        }
      }

      // Head.
      var head = items[(last + 1)...].map(\.module).filter { !ignored($0) }
      if isPreActivation {
        guard head.count >= 2, head[0].name == "SpatialBatchNormalization", head[1].name == "ReLU" else {
          throw fail(head.first?.path ?? "", "a pre-activation network ends with BN, ReLU before pooling")
        }
        try batchNorm(head[0], "bn")
        head.removeFirst(2)
      }
      guard head.map(\.name) == ["SpatialAveragePooling", "Linear"] else {
        throw fail(head.first?.path ?? "", "head \(head.map(\.name)), expected SpatialAveragePooling, (View,) Linear")
      }
      guard let weight = try tensor(head[1], "weight"), weight.shape.count == 2 else {
        throw fail(head[1].path, "Linear without a 2-D weight")
      }
      tensors.append(("fc.weight", RawTensor(floats: weight.values, shape: weight.shape)))
      let bias = try tensor(head[1], "bias")?.values ?? [Float](repeating: 0, count: weight.shape[0])
      guard bias.count == weight.shape[0] else { throw fail(head[1].path, "Linear bias of \(bias.count) values") }
      tensors.append(("fc.bias", RawTensor(floats: bias, shape: [bias.count])))
      return TensorArchive(
        format: .torch7, tensors: tensors,
        metadata: [
          "source": "fb.resnet.torch", Torch7Network.sharedPreActivationKey: sharedPreActivation ? "true" : "false",
          Torch7Network.zeroChannelsAfterInputKey: optionA ? "true" : "false",
        ])
    }

    /// Checks fb.resnet.torch's option-A shortcut `Sequential[SpatialAveragePooling(1,1,s,s),
    /// Concat(2)[Identity, MulConstant(0)]]`, s the branch's stride: every s-th row and column,
    /// then the input's channels followed by as many zero channels.
    func optionAShortcut(_ parts: [Module], stride: Int, path: String) throws {
      guard parts.count == 2, parts[0].name == "SpatialAveragePooling", parts[1].name == "Concat" else {
        throw fail(path, "shortcut \(parts.map(\.name)), expected SpatialAveragePooling, Concat (option A)")
      }
      let pool = parts[0]
      let geometry = try [number(pool, "kW"), number(pool, "kH"), number(pool, "dW"), number(pool, "dH"),
                          number(pool, "padW", default: 0), number(pool, "padH", default: 0)]
      guard geometry == [1, 1, stride, stride, 0, 0] else {
        throw fail(pool.path, "option-A pool \(geometry) (kW, kH, dW, dH, padW, padH), expected [1, 1, \(stride), \(stride), 0, 0]")
      }
      let concat = parts[1]
      guard try number(concat, "dimension") == 2 else {
        throw fail(concat.path, "option-A Concat along dimension \(try number(concat, "dimension")), expected 2 (channels)")
      }
      let members = try children(concat)
      guard members.map(\.name) == ["Identity", "MulConstant"] else {
        throw fail(concat.path, "option-A Concat of \(members.map(\.name)), expected Identity, MulConstant")
      }
      guard case .number(let constant)? = document.field(members[1].fields, "constant_scalar"), constant == 0 else {
        throw fail(members[1].path, "MulConstant with a constant other than 0")
      }
    }

    func ignored(_ m: Module) -> Bool { ["View", "Reshape", "Copy", "Dropout"].contains(m.name) }

    mutating func convolution(_ m: Module, _ name: String) throws {
      guard m.name == "SpatialConvolution" else { throw fail(m.path, "\(m.name), expected SpatialConvolution") }
      let (input, output) = (try number(m, "nInputPlane"), try number(m, "nOutputPlane"))
      let (kw, kh, dw, dh) = (try number(m, "kW"), try number(m, "kH"), try number(m, "dW"), try number(m, "dH"))
      let (pw, ph) = (try number(m, "padW", default: 0), try number(m, "padH", default: 0))
      guard kw == kh, dw == dh, pw == ph, kw > 0, input > 0, output > 0 else {
        throw fail(m.path, "convolution \(kh)×\(kw) stride \(dh)×\(dw) padding \(ph)×\(pw): only square ones are supported")
      }
      guard try number(m, "groups", default: 1) == 1 else { throw fail(m.path, "grouped convolution") }
      guard pw == kw / 2 else {
        throw fail(m.path, "a \(kw)×\(kw) convolution with padding \(pw); the engine pads \(kw / 2)")
      }
      guard let weight = try tensor(m, "weight"), weight.values.count == output * input * kw * kw else {
        throw fail(m.path, "weight does not hold \(output)×\(input)×\(kw)×\(kw) values")
      }
      if let bias = try tensor(m, "bias"), bias.values.contains(where: { $0 != 0 }) {
        throw fail(m.path, "convolution with a non-zero bias (the engine's convolutions have none)")
      }
      tensors.append(("\(name).weight", RawTensor(floats: weight.values, shape: [output, input, kw, kw])))
    }

    mutating func batchNorm(_ m: Module, _ name: String) throws {
      guard m.name == "SpatialBatchNormalization" || m.name == "BatchNormalization" else {
        throw fail(m.path, "\(m.name), expected SpatialBatchNormalization")
      }
      guard let mean = try tensor(m, "running_mean"), mean.shape.count == 1 else {
        throw fail(m.path, "batch norm without running_mean")
      }
      let channels = mean.values.count
      var epsilon: Double = 1e-5
      if case .number(let value)? = document.field(m.fields, "eps") { epsilon = value }
      guard abs(epsilon - 1e-5) < 1e-9 else { throw fail(m.path, "batch norm eps \(epsilon), the engine uses 1e-5") }
      let variance: [Float]
      if let v = try tensor(m, "running_var") {
        variance = v.values
      } else if let std = try tensor(m, "running_std") {
        // nn before 2016 stored 1/√(var + ε).
        variance = std.values.map { 1 / ($0 * $0) - Float(epsilon) }
      } else {
        throw fail(m.path, "batch norm without running_var or running_std")
      }
      let gamma = try tensor(m, "weight")?.values ?? [Float](repeating: 1, count: channels)
      let beta = try tensor(m, "bias")?.values ?? [Float](repeating: 0, count: channels)
      guard variance.count == channels, gamma.count == channels, beta.count == channels else {
        throw fail(m.path, "batch norm statistics and parameters of different sizes")
      }
      for (key, values) in [("weight", gamma), ("bias", beta), ("running_mean", mean.values), ("running_var", variance)] {
        tensors.append(("\(name).\(key)", RawTensor(floats: values, shape: [channels])))
      }
    }
  }
}
