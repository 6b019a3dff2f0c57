// Writes a logistic regression as an ONNX graph (opset 17) with the manifest's inputs/outputs:
//   contributions = Unsqueeze(features, [2]) · W      [N, F, L]  (broadcast Mul, F × L weights)
//   probabilities = Softmax(ReduceSum(contributions, [1]) + b, axis 1)
// No timestamps or names that vary: the same model gives the same bytes, hence the same sha256.
import onnxProto from 'onnx-proto'
import type { LogisticModel } from './logistic.js'

const { onnx } = onnxProto
const OPSET = 17
const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64

function floatTensor(name: string, dims: number[], values: ArrayLike<number>) {
  const raw = new Float32Array(values)
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(raw.buffer) })
}

function int64Tensor(name: string, values: number[]) {
  const raw = BigInt64Array.from(values.map(BigInt))
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(raw.buffer) })
}

function valueInfo(name: string, dims: Array<number | string>) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  })
}

// Little-endian hosts only: rawData must be little-endian, and Float32Array uses host order.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('onnx-export needs a little-endian host')

export function exportOnnx(model: LogisticModel, docString = 'Neva triage: multinomial logistic regression'): Uint8Array {
  const { features: F, labels: L } = model
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input, output, name: output[0], attribute })
  const graph = onnx.GraphProto.create({
    name: 'triage',
    node: [
      node('Unsqueeze', ['features', 'axes_2'], ['features_3d']),
      node('Mul', ['features_3d', 'W'], ['contributions']),
      node('ReduceSum', ['contributions', 'axes_1'], ['linear'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node('Add', ['linear', 'b'], ['logits']),
      node('Softmax', ['logits'], ['probabilities'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    ],
    initializer: [floatTensor('W', [F, L], model.weights), floatTensor('b', [L], model.bias), int64Tensor('axes_2', [2]), int64Tensor('axes_1', [1])],
    input: [valueInfo('features', ['N', F])],
    output: [valueInfo('probabilities', ['N', L]), valueInfo('contributions', ['N', F, L])],
  })
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'neva',
    docString,
    graph,
  })
  return onnx.ModelProto.encode(proto).finish()
}
