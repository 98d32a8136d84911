// SMPTE timecode for frame numbers: HH:MM:SS:FF, and HH:MM:SS;FF drop-frame for
// 29.97 and 59.94. Pure functions; the frame rate is always the exact rational.

/** A frame rate as the exact rational the backend reports (`24000/1001`). */
export type FrameRate = { num: number; den: number };

/** Frames per second as a float, for clock arithmetic. */
export function fpsValue(rate: FrameRate): number {
  return rate.num / rate.den;
}

/** True for the NTSC rates that use drop-frame counting (30000/1001, 60000/1001). */
export function isDropFrame(rate: FrameRate): boolean {
  return rate.den === 1001 && (rate.num === 30000 || rate.num === 60000);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Formats `frame` (counted from 0) as timecode at `rate`. Non-integer rates count with
 * their nominal base (23.976 → 24 frames a second, no drop); 29.97 and 59.94 use
 * drop-frame numbering and a `;` before the frame field.
 */
export function formatTimecode(frame: number, rate: FrameRate): string {
  const base = Math.round(rate.num / rate.den) || 1;
  let n = Math.max(0, Math.floor(frame));
  const drop = isDropFrame(rate);
  if (drop) {
    const dropPerMinute = base === 60 ? 4 : 2;
    const framesPerMinute = base * 60 - dropPerMinute;
    const framesPer10Minutes = framesPerMinute * 10 + dropPerMinute;
    const tens = Math.floor(n / framesPer10Minutes);
    const rest = n % framesPer10Minutes;
    n += 9 * dropPerMinute * tens;
    if (rest > dropPerMinute) {
      n += dropPerMinute * Math.floor((rest - dropPerMinute) / framesPerMinute);
    }
  }
  const ff = n % base;
  const totalSeconds = Math.floor(n / base);
  const ss = totalSeconds % 60;
  const mm = Math.floor(totalSeconds / 60) % 60;
  const hh = Math.floor(totalSeconds / 3600) % 24;
  return `${pad2(hh)}:${pad2(mm)}:${pad2(ss)}${drop ? ';' : ':'}${pad2(ff)}`;
}

/** True when `text` is a timecode the export accepts as a start (`01:00:00:00`, `;` allowed). */
export function isTimecode(text: string): boolean {
  const m = /^(\d{2}):(\d{2}):(\d{2})[:;](\d{2})$/.exec(text.trim());
  return m !== null && Number(m[2]) < 60 && Number(m[3]) < 60;
}
