// The UI's only door to the backend: typed wrappers over Tauri `invoke` for every command
// of the IPC contract (docs/ipc.md) and the `library-changed` event. Native dialogs are
// opened by the backend (`pick_path`), which hands back a one-use token, never a path the
// page could choose. Components never import @tauri-apps/* themselves. Every failure is rethrown as
// an `IpcFailure` carrying the contract's error `code` and the command name.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { ERROR_PREFIXES } from './format';
import type { AppInfo } from './bindings/AppInfo';
import type { PickKind } from './bindings/PickKind';
import type { PickedPathDto } from './bindings/PickedPathDto';
import type { ApprovalDto } from './bindings/ApprovalDto';
import type { CreditsDto } from './bindings/CreditsDto';
import type { ErrorCode } from './bindings/ErrorCode';
import type { ExportFormat } from './bindings/ExportFormat';
import type { ExportRequestsDto } from './bindings/ExportRequestsDto';
import type { LibraryEvent } from './bindings/LibraryEvent';
import type { PlaceholderMode } from './bindings/PlaceholderMode';
import type { RenderMode } from './bindings/RenderMode';
import type { RequestDto } from './bindings/RequestDto';
import type { ResolveAction } from './bindings/ResolveAction';
import type { SettingsDto } from './bindings/SettingsDto';
import type { ShotDto } from './bindings/ShotDto';
import type { SubmitDto } from './bindings/SubmitDto';
import type { TakeDto } from './bindings/TakeDto';
import type { TimelineExportDto } from './bindings/TimelineExportDto';

/** The name of the backend's change notification. */
export const LIBRARY_CHANGED = 'library-changed';

/** Whether `code` is one of the contract's error codes. */
function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_PREFIXES, code);
}

/** A failed backend call: the contract's error code, its message, and which command. */
export class IpcFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'IpcFailure';
  }
}

/** Normalises whatever `invoke` rejected with into an IpcFailure. */
export function toFailure(command: string, raw: unknown): IpcFailure {
  if (raw instanceof IpcFailure) return raw;
  if (raw && typeof raw === 'object' && 'message' in raw) {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    const known = isErrorCode(code) ? code : 'internal';
    return new IpcFailure(known, String(message), command);
  }
  return new IpcFailure('internal', typeof raw === 'string' ? raw : String(raw), command);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toFailure(command, raw);
  }
}

/** Statuses `set_status` accepts (approval and finals have their own commands). */
export type SettableStatus = 'unreviewed' | 'selected' | 'hold' | 'rejected';

/** Options of `approve_take`; omitted fields take the project's defaults. */
export interface ApproveOptions {
  mode?: RenderMode;
  resolution?: string;
}

/** Arguments of `export_timeline`. */
export interface TimelineExport {
  format: ExportFormat;
  /** The one-use token of the destination picked with `pickPath('timeline')`. */
  token: string;
  shotIds: number[] | null;
  placeholders: PlaceholderMode;
  start: string | null;
}

/** Typed wrappers, one per command of the contract. */
export const backend = {
  appInfo: () => call<AppInfo>('app_info'),
  /** The native dialog for `kind`; null when the user cancels. */
  pickPath: (kind: PickKind, format?: ExportFormat) =>
    call<PickedPathDto | null>('pick_path', { kind, format: format ?? null }),
  openFolder: (token: string) => call<AppInfo>('open_folder', { token }),
  listShots: () => call<ShotDto[]>('list_shots'),
  listTakes: (shotId: number) => call<TakeDto[]>('list_takes', { shotId }),
  setStatus: (takeId: number, status: SettableStatus) => call<TakeDto>('set_status', { takeId, status }),
  approveTake: (takeId: number, options: ApproveOptions = {}) =>
    call<ApprovalDto>('approve_take', { takeId, ...options }),
  unapproveTake: (takeId: number) => call<TakeDto>('unapprove_take', { takeId }),
  markFinal: (takeId: number) => call<TakeDto>('mark_final', { takeId }),
  clearFinal: (takeId: number) => call<TakeDto>('clear_final', { takeId }),
  setTrim: (takeId: number, trimIn: number | null, trimOut: number | null) =>
    call<TakeDto>('set_trim', { takeId, trimIn, trimOut }),
  addNote: (takeId: number, frame: number, text: string) => call<TakeDto>('add_note', { takeId, frame, text }),
  moveTake: (takeId: number, shotCode: string) => call<TakeDto>('move_take', { takeId, shotCode }),
  renameShot: (shotId: number, name: string) => call<ShotDto>('rename_shot', { shotId, name }),
  reorderShot: (shotId: number, position: number) => call<ShotDto[]>('reorder_shot', { shotId, position }),
  listRequests: () => call<RequestDto[]>('list_requests'),
  cancelRequest: (requestId: number) => call<RequestDto>('cancel_request', { requestId }),
  exportRequests: (token: string) => call<ExportRequestsDto>('export_requests', { token }),
  /** Sends exactly the listed requests (those still queued in the current project). */
  submitRequests: (requestIds: number[]) => call<SubmitDto>('submit_requests', { requestIds }),
  resolveRequest: (requestId: number, action: ResolveAction, generationId?: string) =>
    call<RequestDto>('resolve_request', { requestId, action, generationId: generationId ?? null }),
  credits: () => call<CreditsDto>('credits'),
  getSettings: () => call<SettingsDto>('get_settings'),
  saveSettings: (settings: SettingsDto, apiKey?: string) =>
    call<SettingsDto>('save_settings', apiKey === undefined ? { settings } : { settings, apiKey }),
  exportTimeline: (request: TimelineExport) => call<TimelineExportDto>('export_timeline', { ...request }),
};

/** Calls `handler` for every `library-changed` event; resolves to the unsubscribe function. */
export function onLibraryChanged(handler: (event: LibraryEvent) => void): Promise<UnlistenFn> {
  return listen<LibraryEvent>(LIBRARY_CHANGED, (e) => handler(e.payload));
}

/** The URL a take's video plays from: the loopback media server, with the launch token. */
export function mediaUrl(app: Pick<AppInfo, 'mediaBaseUrl' | 'mediaToken'>, take: Pick<TakeDto, 'mediaPath'>): string {
  return `${app.mediaBaseUrl}${take.mediaPath}?t=${encodeURIComponent(app.mediaToken)}`;
}
