import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { AppState } from './state.svelte';
import type { TakeDto } from './bindings/TakeDto';
import type { ShotDto } from './bindings/ShotDto';

function shot(id: number, code: string): ShotDto {
  return {
    id, code, name: code, position: id, state: 'exploring', takeCount: 1, missingCount: 0,
    approvedTakeId: null, finalTakeId: null, creditsSpent: 0, creditsPending: 0,
  };
}

function take(id: number, shotId: number, extra: Partial<TakeDto> = {}): TakeDto {
  return {
    id, shotId, fileName: `t${id}.mp4`, path: `/d/t${id}.mp4`, origin: 'flash', status: 'unreviewed', isFinal: false,
    durationS: 5, frames: 120, fps: '24', fpsNum: 24, fpsDen: 1, width: 1280, height: 720, codec: 'h264', hasAudio: false,
    generationId: null, prompt: null, aspectRatio: null, resolution: null, present: true, error: null, sidecarError: null,
    trimIn: null, trimOut: null, notes: [], credits: 55, mediaPath: `/media/${id}`, ...extra,
  };
}

let calls: string[] = [];
let takesByShot: Record<number, TakeDto[]> = {};

beforeEach(() => {
  calls = [];
  takesByShot = { 1: [take(10, 1)], 2: [take(20, 2)] };
  mockIPC(
    (cmd, args) => {
      calls.push(cmd);
      const a = args as Record<string, unknown>;
      switch (cmd) {
        case 'app_info':
          return { libraryPath: '/lib.db', projectName: 'P', folders: ['/d'], mediaBaseUrl: 'http://127.0.0.1:1', mediaToken: 'x', version: '0' };
        case 'list_shots':
          return [shot(1, 'SH010'), shot(2, 'SH020')];
        case 'list_takes':
          return takesByShot[a.shotId as number] ?? [];
        case 'list_requests':
          return [];
        case 'credits':
          return { spent: 0, pending: 0, budget: null, overBudget: false, perShot: [] };
        case 'get_settings':
          return null;
        case 'set_status':
          return Promise.reject({ code: 'conflict', message: 'take is approved' });
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
});
afterEach(() => clearMocks());

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('AppState', () => {
  it('starts on the first shot with its takes and the first take focused', async () => {
    const state = new AppState();
    await state.start();
    expect(state.hasProject).toBe(true);
    expect(state.currentShotId).toBe(1);
    expect(state.takes.map((t) => t.id)).toEqual([10]);
    expect(state.focusedTakeId).toBe(10);
  });

  it('a take added to the current shot appears without a reload', async () => {
    const state = new AppState();
    await state.start();
    takesByShot[1] = [take(10, 1), take(11, 1)];
    calls = [];
    await emit('library-changed', { kind: 'take-added', takeId: 11, shotId: 1 });
    await waitFor(() => state.takes.length === 2);
    expect(state.takes.map((t) => t.id)).toEqual([10, 11]);
    expect(calls).toContain('list_shots');
  });

  it('a take added to another shot refetches the shot list only', async () => {
    const state = new AppState();
    await state.start();
    calls = [];
    vi.useFakeTimers();
    await emit('library-changed', { kind: 'take-added', takeId: 21, shotId: 2 });
    await vi.runAllTimersAsync();
    vi.useRealTimers();
    expect(calls.sort()).toEqual(['credits', 'list_requests', 'list_shots']);
  });

  it('a deleted file shows as missing on its take', async () => {
    const state = new AppState();
    await state.start();
    takesByShot[1] = [take(10, 1, { present: false })];
    await emit('library-changed', { kind: 'take-missing', takeId: 10, shotId: 1 });
    await waitFor(() => state.takes[0]?.present === false);
  });

  it('a burst of events is answered by one refetch', async () => {
    const state = new AppState();
    await state.start();
    calls = [];
    vi.useFakeTimers();
    for (let i = 0; i < 5; i++) {
      await emit('library-changed', { kind: 'take-changed', takeId: 10, shotId: 1 });
    }
    await vi.runAllTimersAsync();
    vi.useRealTimers();
    expect(calls.filter((c) => c === 'list_takes')).toHaveLength(1);
    expect(calls.filter((c) => c === 'list_shots')).toHaveLength(1);
  });

  it('a failed action becomes an error toast naming the code', async () => {
    const state = new AppState();
    await state.start();
    await state.setStatus(state.takes[0], 'hold');
    expect(state.toasts.at(-1)).toMatchObject({ kind: 'error', text: 'Conflict: take is approved' });
  });

  it('a failed app_info shows the failure instead of an empty window', async () => {
    clearMocks();
    mockIPC(() => Promise.reject({ code: 'newerLibrary', message: 'library schema 9 is newer than this app' }));
    const state = new AppState();
    await state.start();
    expect(state.phase).toBe('failed');
    expect(state.startError).toBe('Library from a newer Takeboard: library schema 9 is newer than this app');
  });
});

describe('AppState approval', () => {
  it('approving shows the queued request and its credits, and refetches shots and the queue', async () => {
    clearMocks();
    const seen: string[] = [];
    mockIPC((cmd, args) => {
      seen.push(cmd);
      switch (cmd) {
        case 'app_info':
          return { libraryPath: '/l', projectName: 'P', folders: ['/d'], mediaBaseUrl: 'http://127.0.0.1:1', mediaToken: 'x', version: '0' };
        case 'list_shots':
          return [shot(1, 'SH010')];
        case 'list_takes':
          return [take(10, 1)];
        case 'approve_take':
          expect(args).toEqual({ takeId: 10 });
          return {
            take: take(10, 1, { status: 'approved' }),
            request: { id: 3, takeId: 10, shotId: 1, shotCode: 'SH010', mode: 'regenerate', model: 'ray-2', resolution: '720p', durationS: 5, creditsEstimate: 160, state: 'queued', generationId: null, resultTakeId: null, failureReason: null, missing: [], createdAt: '' },
            budgetWarning: 'This approval takes the project over its budget (2,160 of 2,000 cr).',
          };
        case 'list_requests':
          return [];
        default:
          return null;
      }
    });
    const state = new AppState();
    await state.start();
    seen.length = 0;
    await state.approve(state.takes[0]);
    expect(state.toasts.map((t) => [t.kind, t.text])).toEqual([
      ['warning', 'This approval takes the project over its budget (2,160 of 2,000 cr).'],
      ['info', 'Approved t10.mp4: render request queued (160 cr).'],
    ]);
    expect(seen).toEqual(expect.arrayContaining(['approve_take', 'list_shots', 'list_requests', 'credits', 'list_takes']));
  });

  it('refuses to re-mark an approved take without clearing it first', async () => {
    const state = new AppState();
    await state.start();
    calls = [];
    await state.setStatus(take(10, 1, { status: 'approved' }), 'rejected');
    expect(calls).toEqual([]);
    expect(state.toasts.at(-1)?.kind).toBe('warning');
  });

  it('F marks a take final, and on a final take clears the mark', async () => {
    const state = new AppState();
    await state.start();
    calls = [];
    await state.toggleFinal(take(10, 1));
    await state.toggleFinal(take(10, 1, { isFinal: true }));
    expect(calls.filter((c) => c.endsWith('_final'))).toEqual(['mark_final', 'clear_final']);
  });
});
