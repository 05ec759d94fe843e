// Who may enter a room (DESIGN §5). A room is locked by a LOCK event, never by a rule code,
// so the wire carries only these three, in this order.
export const JOIN_RULES = Object.freeze(['open', 'approval', 'invite']);
