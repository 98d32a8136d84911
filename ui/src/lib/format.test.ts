import { describe, expect, it } from 'vitest';
import { formatCredits, formatFps, formatWhen, parseRate } from './format';

describe('format', () => {
  it('formats credits with separators', () => {
    expect(formatCredits(1234.4)).toBe('1,234 cr');
    expect(formatCredits(null)).toBe('—');
  });
  it('formats rational rates', () => {
    expect(formatFps({ fpsNum: 24, fpsDen: 1 })).toBe('24 fps');
    expect(formatFps({ fpsNum: 24000, fpsDen: 1001 })).toBe('23.976 fps');
    expect(formatFps({ fpsNum: null, fpsDen: null })).toBe('—');
  });
  it('parses the fps fallback setting', () => {
    expect(parseRate('24')).toEqual({ num: 24, den: 1 });
    expect(parseRate('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(parseRate('abc')).toBeNull();
    expect(parseRate('0')).toBeNull();
  });
  it('formats request times in local time, as short as is unambiguous', () => {
    const now = new Date(2026, 10, 23, 18, 0);
    expect(formatWhen(new Date(2026, 10, 23, 14, 5).toISOString(), now)).toBe('14:05');
    expect(formatWhen(new Date(2026, 10, 2, 9, 30).toISOString(), now)).toBe('2 Nov 09:30');
    expect(formatWhen(new Date(2025, 11, 31, 23, 59).toISOString(), now)).toBe('31 Dec 2025 23:59');
    expect(formatWhen('not a time', now)).toBe('not a time');
  });
});
