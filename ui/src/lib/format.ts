// Display formatting shared by the screens: credits, durations, sizes, rates, and the
// user-facing wording of backend error codes. Pure functions.

import type { ErrorCode } from './bindings/ErrorCode';
import type { TakeDto } from './bindings/TakeDto';
import type { FrameRate } from './timecode';

export { RENDER_RESOLUTIONS } from './bindings/resolutions';

/** Credits as a whole number with thousands separators ("1,234 cr"). */
export function formatCredits(credits: number | null | undefined): string {
  if (credits === null || credits === undefined) return '—';
  return `${Math.round(credits).toLocaleString('en-US')} cr`;
}

/** Seconds with one decimal ("5.0 s"), or a dash when unknown. */
export function formatSeconds(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '—' : `${seconds.toFixed(1)} s`;
}

/** "1280×720" or a dash. */
export function formatSize(take: Pick<TakeDto, 'width' | 'height'>): string {
  return take.width && take.height ? `${take.width}×${take.height}` : '—';
}

/** "23.976 fps" from the exact rational, or a dash. */
export function formatFps(take: Pick<TakeDto, 'fpsNum' | 'fpsDen'>): string {
  if (!take.fpsNum || !take.fpsDen) return '—';
  const value = take.fpsNum / take.fpsDen;
  return `${Number.isInteger(value) ? value : value.toFixed(3)} fps`;
}

/** A take's exact rate, or null when the container did not say. */
export function takeRate(take: Pick<TakeDto, 'fpsNum' | 'fpsDen'>): FrameRate | null {
  return take.fpsNum && take.fpsDen ? { num: take.fpsNum, den: take.fpsDen } : null;
}

/** Parses "24" or "24000/1001" (the settings' fps fallback); null when malformed. */
export function parseRate(text: string | null | undefined): FrameRate | null {
  const m = /^\s*(\d+)(?:\s*\/\s*(\d+))?\s*$/.exec(text ?? '');
  if (!m) return null;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  return num > 0 && den > 0 ? { num, den } : null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An RFC 3339 instant in local time, as short as is unambiguous next to `now`: "14:05"
 * today, "23 Nov 14:05" this year, "23 Nov 2025 14:05" before; unparsable text as it is.
 */
export function formatWhen(rfc3339: string, now: Date = new Date()): string {
  const at = new Date(rfc3339);
  if (Number.isNaN(at.getTime())) return rfc3339;
  const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  const sameYear = at.getFullYear() === now.getFullYear();
  if (sameYear && at.getMonth() === now.getMonth() && at.getDate() === now.getDate()) return time;
  const day = `${at.getDate()} ${MONTHS[at.getMonth()]}`;
  return sameYear ? `${day} ${time}` : `${day} ${at.getFullYear()} ${time}`;
}

/**
 * What to tell the user before the backend's own message, per error code. Its keys are
 * exactly the generated `ErrorCode` (the type checks both ways), so it is also the list of
 * codes the UI knows.
 */
export const ERROR_PREFIXES: Readonly<Record<ErrorCode, string>> = {
  notFound: 'Not found',
  invalid: 'Not accepted',
  conflict: 'Conflict',
  locked: 'Library busy',
  newerLibrary: 'Library from a newer Takeboard',
  forbidden: 'Not allowed',
  io: 'File error',
  provider: 'Render service',
  internal: 'Unexpected error',
};

/** What to tell the user before the backend's own message. */
export function errorPrefix(code: ErrorCode): string {
  return ERROR_PREFIXES[code];
}

/** Why a <video> could not play, from its MediaError code. */
export function mediaErrorText(code: number | undefined): string {
  switch (code) {
    case 1:
      return 'Playback aborted.';
    case 2:
      return 'Network error while reading the file from the media server.';
    case 3:
      return 'The file could not be decoded (corrupt or truncated?).';
    case 4:
      return 'This file cannot be played (unsupported format, or not a video).';
    default:
      return 'The file could not be played.';
  }
}
