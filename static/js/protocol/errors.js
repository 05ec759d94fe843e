// One error type whose `code` is the error name used by docs/PROTOCOL.md and the vectors.

/** A frame, link or event that the protocol rejects. */
export class ProtocolError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'ProtocolError';
    this.code = code;
    this.detail = detail;
  }
}
