import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { IpcFailure, backend, mediaUrl, onLibraryChanged, toFailure } from './ipc';
import type { LibraryEvent } from './bindings/LibraryEvent';

type Call = { cmd: string; args: unknown };
let calls: Call[] = [];

beforeEach(() => {
  calls = [];
});
afterEach(() => clearMocks());

describe('backend commands', () => {
  it('sends each command with camelCase arguments and returns its result', async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'set_status') return { id: 7, status: 'hold' };
      if (cmd === 'list_shots') return [{ id: 1, code: 'SH010' }];
      return null;
    });
    expect(await backend.listShots()).toEqual([{ id: 1, code: 'SH010' }]);
    expect(await backend.setStatus(7, 'hold')).toEqual({ id: 7, status: 'hold' });
    await backend.setTrim(7, 3, null);
    await backend.approveTake(7);
    await backend.approveTake(7, { mode: 'modify', resolution: '1080p' });
    await backend.exportTimeline({ format: 'edl', token: 'ab12', shotIds: null, placeholders: 'gap', start: '01:00:00:00' });
    await backend.saveSettings({ budget: null } as never);
    await backend.saveSettings({ budget: 5 } as never, 'key-123');
    expect(calls.map((c) => c.cmd)).toEqual([
      'list_shots',
      'set_status',
      'set_trim',
      'approve_take',
      'approve_take',
      'export_timeline',
      'save_settings',
      'save_settings',
    ]);
    expect(calls[1].args).toEqual({ takeId: 7, status: 'hold' });
    expect(calls[2].args).toEqual({ takeId: 7, trimIn: 3, trimOut: null });
    expect(calls[3].args).toEqual({ takeId: 7 });
    expect(calls[4].args).toEqual({ takeId: 7, mode: 'modify', resolution: '1080p' });
    expect(calls[5].args).toEqual({ format: 'edl', token: 'ab12', shotIds: null, placeholders: 'gap', start: '01:00:00:00' });
    expect(calls[6].args).toEqual({ settings: { budget: null } });
    expect(calls[7].args).toEqual({ settings: { budget: 5 }, apiKey: 'key-123' });
  });

  it('rethrows the contract error with its code and the command name', async () => {
    mockIPC(() => Promise.reject({ code: 'provider', message: 'no API key configured' }));
    const failure = await backend.submitRequests([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(IpcFailure);
    expect(failure).toMatchObject({ code: 'provider', message: 'no API key configured', command: 'submit_requests' });
  });

  it('maps unknown codes and bare strings to internal', () => {
    expect(toFailure('x', 'command x not found')).toMatchObject({ code: 'internal', message: 'command x not found' });
    expect(toFailure('x', { code: 'weird', message: 'm' })).toMatchObject({ code: 'internal', message: 'm' });
  });
});

describe('library-changed', () => {
  it('delivers the event payload to the handler until unlistened', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: LibraryEvent[] = [];
    const unlisten = await onLibraryChanged((e) => seen.push(e));
    const event: LibraryEvent = { kind: 'take-added', takeId: 4, shotId: 2 };
    await emit('library-changed', event);
    unlisten();
    await emit('library-changed', { ...event, takeId: 5 });
    expect(seen).toEqual([event]);
  });
});

describe('dialogs', () => {
  it('are opened by the backend, which hands back a one-use token, null on cancel', async () => {
    const answers: unknown[] = [{ token: 'ab12', path: '/home/ed/Downloads' }, null];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return answers.shift();
    });
    expect(await backend.pickPath('folder')).toEqual({ token: 'ab12', path: '/home/ed/Downloads' });
    expect(await backend.pickPath('timeline', 'edl')).toBeNull();
    expect(calls[0]).toMatchObject({ cmd: 'pick_path', args: { kind: 'folder', format: null } });
    expect(calls[1]).toMatchObject({ cmd: 'pick_path', args: { kind: 'timeline', format: 'edl' } });
    await backend.openFolder('ab12');
    expect(calls[2]).toMatchObject({ cmd: 'open_folder', args: { token: 'ab12' } });
  });
});

describe('mediaUrl', () => {
  it('joins the server, the take path and the token', () => {
    expect(mediaUrl({ mediaBaseUrl: 'http://127.0.0.1:4312', mediaToken: 'abc' }, { mediaPath: '/media/9' })).toBe(
      'http://127.0.0.1:4312/media/9?t=abc',
    );
  });
});
