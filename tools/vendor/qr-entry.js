// The QR encoder that draws room links; it never sees anything but the link text.
import qrcode from 'qrcode-generator';

export default qrcode;
