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

// In its last ten minutes a room's countdown shows seconds too, so it visibly moves.
export const COUNTDOWN_SECONDS = 10 * 60;

/** How long a room has left: as describeDuration, then "9 min 5 s" in the last ten minutes. */
export function describeCountdown(seconds) {
  if (seconds >= COUNTDOWN_SECONDS || seconds < 60) return describeDuration(seconds);
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** The one-time warning before a room vanishes, in whole minutes (rounded up). */
export function vanishingWarning(seconds) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `This room vanishes in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}. Everything in it will be gone.`;
}

/** "14:05" in the reader's own clock. */
export function clockTime(timeMs) {
  return new Date(timeMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
