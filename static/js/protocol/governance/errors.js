// Why an event was refused: the same codes as atopos_protocol/governance/errors.py and the vectors.

export class GovernanceError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'GovernanceError';
    this.code = code;
  }
}
