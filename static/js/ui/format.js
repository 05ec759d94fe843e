// Words for times and durations.

/** "1 h 58 min", "45 min", "30 s". */
export function describeDuration(seconds) {
  if (seconds < 60) return `${Math.max(0, Math.floor(seconds))} s`;
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}

/** "14:05" in the reader's own clock. */
export function clockTime(timeMs) {
  return new Date(timeMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
