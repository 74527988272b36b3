/**
 * Import first in a test file that runs ONNX Runtime in the test's own thread.
 *
 * jest runs a test file in a vm context with its own typed-array constructors (it shares only
 * ArrayBuffer and Uint8Array with Node's main context), while onnxruntime-node's binding creates
 * its output arrays in the main context, which the package's Tensor then refuses ("A float32
 * tensor's data must be type of function Float32Array()"). Sharing Node's constructors before
 * the package loads avoids that; worker threads and plain Node are not affected.
 */
import vm from 'node:vm';

for (const name of ['Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint16Array', 'Uint32Array', 'Uint8ClampedArray', 'BigInt64Array', 'BigUint64Array']) {
  Object.assign(globalThis, { [name]: vm.runInThisContext(name) as unknown });
}
