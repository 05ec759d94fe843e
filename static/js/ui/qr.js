// Draws a QR code of the room link on a canvas. The encoder only ever sees the link.
import qrcode from '../../vendor/qrcode-generator-2.0.4.js';

/** Render `text` as a QR code filling `canvas`, dark on light, with a quiet zone. */
export function drawQr(canvas, text) {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  const modules = code.getModuleCount();
  const quiet = 4;
  const scale = Math.floor(canvas.width / (modules + 2 * quiet));
  const offset = Math.floor((canvas.width - scale * modules) / 2);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000000';
  for (let row = 0; row < modules; row += 1) {
    for (let column = 0; column < modules; column += 1) {
      if (code.isDark(row, column)) context.fillRect(offset + column * scale, offset + row * scale, scale, scale);
    }
  }
}
