// Labels of key material that only a participant's device derives (PROTOCOL §1.1); none
// repeats one in protocol/labels.js, whose kdf() they go through.

/** Each label has one purpose. */
export const ClientLabel = Object.freeze({
  AUTH: 'atopos1-auth',
  VCOMMIT: 'atopos1-vcommit',
  PWSALT: 'atopos1-pwsalt',
  LOCK: 'atopos1-lock',
  SECRET: 'atopos1-secret',
  EPOCH0: 'atopos1-epoch0',
  MSG: 'atopos1-msg',
  CONFIRM: 'atopos1-confirm',
  BIND: 'atopos1-bind',
  BINDTAG: 'atopos1-bindtag',
  KCV: 'atopos1-kcv',
  TICKET: 'atopos1-ticket',
  EPOCH: 'atopos1-epoch',
  REKEY: 'atopos1-rekey',
  KEYSHARE: 'atopos1-keyshare',
});
