import { describe, expect, it } from 'vitest';
import { initialFrames, takeFps } from './player';
import type { TakeDto } from './bindings/TakeDto';

function take(extra: Partial<TakeDto>): TakeDto {
  return {
    id: 1, shotId: 1, fileName: 't.mp4', path: '/t.mp4', origin: 'flash', status: 'unreviewed', isFinal: false,
    durationS: null, frames: null, fps: null, fpsNum: null, fpsDen: null, width: null, height: null, codec: null,
    hasAudio: null, generationId: null, prompt: null, aspectRatio: null, resolution: null, present: true, error: null,
    sidecarError: null, trimIn: null, trimOut: null, notes: [], credits: null, mediaPath: '/media/1', ...extra,
  };
}

describe('player timing', () => {
  it('uses the take\'s own rate, else the grid\'s', () => {
    expect(takeFps(take({ fpsNum: 30000, fpsDen: 1001 }), 24)).toBeCloseTo(29.97, 2);
    expect(takeFps(take({}), 25)).toBe(25);
  });

  it('counts frames from the catalog, else from the duration, else one', () => {
    expect(initialFrames(take({ frames: 120, durationS: 9 }), 24)).toBe(120);
    expect(initialFrames(take({ durationS: 2.5 }), 24)).toBe(60);
    expect(initialFrames(take({}), 24)).toBe(1);
  });
});
