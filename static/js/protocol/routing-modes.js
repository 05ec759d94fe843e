// How a room's traffic travels (DESIGN §6), fixed in its genesis; the wire carries the index.
export const ROUTING_MODES = Object.freeze(['direct', 'tor', 'mix']);
