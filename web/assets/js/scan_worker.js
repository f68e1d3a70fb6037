// The scanner's fallback decoder, in a worker of its own: ZXing compiled to
// WebAssembly (vendored from npm: vendor/zxing-wasm-3.1.3, MIT). Only this
// worker's script is served with a policy that allows WebAssembly; it gets
// frames as ImageData and answers the codes it finds. The .wasm file comes
// from our own assets (the package would fetch it from a CDN otherwise).
import { readBarcodes, setZXingModuleOverrides } from '../vendor/zxing-wasm-3.1.3/reader/index.js';

const WASM = new URL('../vendor/zxing-wasm-3.1.3/reader/zxing_reader.wasm', import.meta.url).href;
setZXingModuleOverrides({
  locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM : prefix + path),
});

/** MiauInv's labels and the codes on products. */
const FORMATS = ['QRCode', 'EAN-13', 'EAN-8', 'UPC-A', 'UPC-E', 'Code128'];

self.onmessage = async (event) => {
  const { id, image } = event.data;
  try {
    const results = await readBarcodes(image, { formats: FORMATS, tryHarder: true, maxNumberOfSymbols: 1 });
    self.postMessage({ id, codes: results.filter((r) => r.isValid).map((r) => ({ text: r.text, format: r.format })) });
  } catch (err) {
    self.postMessage({ id, error: String(err?.message || err) });
  }
};
