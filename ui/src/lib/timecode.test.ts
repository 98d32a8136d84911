import { describe, expect, it } from 'vitest';
import { formatTimecode, isDropFrame, isTimecode } from './timecode';

const ntsc = { num: 30000, den: 1001 };
const ntsc60 = { num: 60000, den: 1001 };
const film = { num: 24000, den: 1001 };

describe('formatTimecode', () => {
  it('frame 0 at 24 fps is midnight', () => {
    expect(formatTimecode(0, { num: 24, den: 1 })).toBe('00:00:00:00');
  });
  it('counts 24 frames a second at 24 fps', () => {
    expect(formatTimecode(23, { num: 24, den: 1 })).toBe('00:00:00:23');
    expect(formatTimecode(24, { num: 24, den: 1 })).toBe('00:00:01:00');
    expect(formatTimecode(24 * 3600 + 24 * 61 + 5, { num: 24, den: 1 })).toBe('01:01:01:05');
  });
  it('counts 23.976 with a 24-frame base and no drop', () => {
    expect(formatTimecode(1439, film)).toBe('00:00:59:23');
    expect(formatTimecode(1440, film)).toBe('00:01:00:00');
  });
  it('drop-frame 29.97 skips frames 0 and 1 at each minute but the tenth', () => {
    expect(formatTimecode(1799, ntsc)).toBe('00:00:59;29');
    expect(formatTimecode(1800, ntsc)).toBe('00:01:00;02');
    expect(formatTimecode(17981, ntsc)).toBe('00:09:59;29');
    expect(formatTimecode(17982, ntsc)).toBe('00:10:00;00');
    expect(formatTimecode(107892, ntsc)).toBe('01:00:00;00');
  });
  it('drop-frame 59.94 skips four frames a minute', () => {
    expect(formatTimecode(3599, ntsc60)).toBe('00:00:59;59');
    expect(formatTimecode(3600, ntsc60)).toBe('00:01:00;04');
  });
  it('30 fps integer is not drop-frame', () => {
    expect(isDropFrame({ num: 30, den: 1 })).toBe(false);
    expect(formatTimecode(1800, { num: 30, den: 1 })).toBe('00:01:00:00');
  });
  it('negative frames clamp to zero', () => {
    expect(formatTimecode(-5, { num: 25, den: 1 })).toBe('00:00:00:00');
  });
});

describe('isTimecode', () => {
  it('accepts colon and semicolon forms', () => {
    expect(isTimecode('01:00:00:00')).toBe(true);
    expect(isTimecode('00:59:59;29')).toBe(true);
  });
  it('rejects malformed text', () => {
    expect(isTimecode('1:00:00:00')).toBe(false);
    expect(isTimecode('01:60:00:00')).toBe(false);
    expect(isTimecode('abc')).toBe(false);
  });
});
