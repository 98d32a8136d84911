// Application state for the window: what the backend last told us (app info, shots, the
// current shot's takes, requests, credits, settings), which panel is open, and the toast
// list. Every backend call goes through `backend` in ipc.ts; every failure becomes a
// toast, never a silent nothing. `library-changed` events trigger a coalesced refetch of
// exactly what they name.

import { IpcFailure, backend, onLibraryChanged, type ApproveOptions, type SettableStatus } from './ipc';
import { errorPrefix, parseRate, takeRate } from './format';
import type { FrameRate } from './timecode';
import type { AppInfo } from './bindings/AppInfo';
import type { CreditsDto } from './bindings/CreditsDto';
import type { LibraryEvent } from './bindings/LibraryEvent';
import type { RequestDto } from './bindings/RequestDto';
import type { ResolveAction } from './bindings/ResolveAction';
import type { SettingsDto } from './bindings/SettingsDto';
import type { ShotDto } from './bindings/ShotDto';
import type { ShotState } from './bindings/ShotState';
import type { TakeDto } from './bindings/TakeDto';

/** The overlay or drawer on top of the compare view. */
export type Panel = 'none' | 'queue' | 'export' | 'settings' | 'help';

/** A message in the toast area. */
export interface Toast {
  id: number;
  kind: 'error' | 'warning' | 'info';
  text: string;
}

/** The compare grid shows at most this many takes of a shot. */
export const MAX_COMPARED = 6;
/** How long info toasts stay (errors and warnings stay until dismissed). */
const INFO_TOAST_MS = 4000;
/** Events arriving within this window are answered by one refetch. */
const EVENT_COALESCE_MS = 60;

/** The window's state; one instance, `appState`. */
export class AppState {
  app = $state<AppInfo | null>(null);
  /** starting: app_info pending; ready; failed: app_info itself failed (startError says why). */
  phase = $state<'starting' | 'ready' | 'failed'>('starting');
  startError = $state<string | null>(null);
  shots = $state<ShotDto[]>([]);
  shotsLoaded = $state(false);
  currentShotId = $state<number | null>(null);
  takes = $state<TakeDto[]>([]);
  takesLoading = $state(false);
  requests = $state<RequestDto[]>([]);
  credits = $state<CreditsDto | null>(null);
  settings = $state<SettingsDto | null>(null);
  panel = $state<Panel>('none');
  /** The request the render queue scrolls to and highlights (followed from a take). */
  focusedRequest = $state<number | null>(null);
  toasts = $state<Toast[]>([]);
  shotFilter = $state<ShotState | 'all'>('all');
  focusedTakeId = $state<number | null>(null);
  /** Which six takes the grid compares when a shot has more (0 = takes 1–6). */
  comparePage = $state(0);
  /** Set by N: the take and frame a note is being written for. */
  noteDraft = $state<{ takeId: number; frame: number } | null>(null);

  hasProject = $derived(this.app !== null && this.app.folders.length > 0);
  currentShot = $derived(this.shots.find((s) => s.id === this.currentShotId) ?? null);
  visibleShots = $derived(this.shotFilter === 'all' ? this.shots : this.shots.filter((s) => s.state === this.shotFilter));
  focusedTake = $derived(this.takes.find((t) => t.id === this.focusedTakeId) ?? null);
  pageCount = $derived(Math.max(1, Math.ceil(this.takes.length / MAX_COMPARED)));
  /** The takes in the compare grid: one page of at most MAX_COMPARED. */
  comparedTakes = $derived(
    this.takes.slice(
      Math.min(this.comparePage, this.pageCount - 1) * MAX_COMPARED,
      (Math.min(this.comparePage, this.pageCount - 1) + 1) * MAX_COMPARED,
    ),
  );
  /** The compare grid's clock rate: the first take with a known rate, else the fallback. */
  referenceRate = $derived.by((): FrameRate => {
    for (const take of this.comparedTakes) {
      const rate = takeRate(take);
      if (rate) return rate;
    }
    return parseRate(this.settings?.fpsFallback) ?? { num: 24, den: 1 };
  });

  private nextToastId = 1;
  private pending = { shots: false, takes: false, requests: false };
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private takesRequest = 0;

  /** Loads app info and, when a project exists, everything the first screen shows. */
  async start(): Promise<void> {
    try {
      this.app = await backend.appInfo();
      this.phase = 'ready';
    } catch (e) {
      this.phase = 'failed';
      this.startError = describe(e);
      return;
    }
    await onLibraryChanged((event) => this.onEvent(event)).catch((e) => this.fail(e));
    if (this.hasProject) await this.loadAll();
  }

  /** Native folder picker → open_folder → reload. */
  async openFolder(): Promise<void> {
    const picked = await this.attempt(() => backend.pickPath('folder'));
    if (!picked) return;
    const app = await this.attempt(() => backend.openFolder(picked.token));
    if (!app) return;
    this.app = app;
    this.toast('info', `Watching ${picked.path}`);
    await this.loadAll();
  }

  /** Shots, requests, credits and settings, then the current shot's takes. */
  async loadAll(): Promise<void> {
    await Promise.all([this.refreshShots(), this.refreshRequests(), this.refreshSettings()]);
    await this.refreshTakes();
  }

  async refreshShots(): Promise<void> {
    const shots = await this.attempt(() => backend.listShots());
    if (!shots) return;
    this.shots = shots;
    this.shotsLoaded = true;
    if (this.currentShotId === null || !shots.some((s) => s.id === this.currentShotId)) {
      this.currentShotId = shots[0]?.id ?? null;
    }
  }

  async refreshTakes(): Promise<void> {
    const shotId = this.currentShotId;
    if (shotId === null) {
      this.takes = [];
      return;
    }
    const ticket = ++this.takesRequest;
    this.takesLoading = true;
    const takes = await this.attempt(() => backend.listTakes(shotId));
    if (ticket !== this.takesRequest) return; // a newer shot was chosen meanwhile
    this.takesLoading = false;
    if (!takes) return;
    this.takes = takes;
    if (!this.comparedTakes.some((t) => t.id === this.focusedTakeId)) this.focusedTakeId = this.comparedTakes[0]?.id ?? null;
  }

  async refreshRequests(): Promise<void> {
    const [requests, credits] = await Promise.all([
      this.attempt(() => backend.listRequests()),
      this.attempt(() => backend.credits()),
    ]);
    if (requests) this.requests = requests;
    if (credits) this.credits = credits;
  }

  async refreshSettings(): Promise<void> {
    const settings = await this.attempt(() => backend.getSettings());
    if (settings) this.settings = settings;
  }

  /** Shows shot `id` (its takes load; the focus goes to its first take). */
  async selectShot(id: number): Promise<void> {
    if (id === this.currentShotId) return;
    this.currentShotId = id;
    this.focusedTakeId = null;
    this.comparePage = 0;
    this.noteDraft = null;
    this.takes = [];
    await this.refreshTakes();
  }

  /** ↑/↓: the previous/next shot in the filtered list. */
  async stepShot(delta: number): Promise<void> {
    const list = this.visibleShots;
    if (list.length === 0) return;
    const index = list.findIndex((s) => s.id === this.currentShotId);
    const next = index < 0 ? 0 : Math.max(0, Math.min(list.length - 1, index + delta));
    await this.selectShot(list[next].id);
  }

  /** Alt+↑/↓ or a drop: moves shot `id` to `position` of the full list. */
  async moveShot(id: number, position: number): Promise<void> {
    const shots = await this.attempt(() => backend.reorderShot(id, position));
    if (shots) this.shots = shots;
  }

  /** Alt+↑/↓ on the current shot. */
  async nudgeCurrentShot(delta: number): Promise<void> {
    const shot = this.currentShot;
    if (!shot) return;
    const index = this.shots.findIndex((s) => s.id === shot.id);
    const target = this.shots[index + delta];
    if (target) await this.moveShot(shot.id, target.position);
  }

  async renameShot(id: number, name: string): Promise<void> {
    const updated = await this.attempt(() => backend.renameShot(id, name));
    if (updated) this.shots = this.shots.map((s) => (s.id === updated.id ? updated : s));
  }

  /** Moves a take to the shot with `shotCode` (the backend creates it when new). */
  async moveTake(take: TakeDto, shotCode: string): Promise<void> {
    const updated = await this.attempt(() => backend.moveTake(take.id, shotCode));
    if (!updated) return;
    this.toast('info', `Moved ${take.fileName} to ${shotCode}.`);
    await Promise.all([this.refreshShots(), this.refreshTakes()]);
  }

  /** Shows the next/previous page of six takes. */
  turnPage(delta: number): void {
    this.comparePage = Math.max(0, Math.min(this.pageCount - 1, this.comparePage + delta));
    if (!this.comparedTakes.some((t) => t.id === this.focusedTakeId)) this.focusedTakeId = this.comparedTakes[0]?.id ?? null;
  }

  async setStatus(take: TakeDto, status: SettableStatus): Promise<void> {
    if (take.status === 'approved' && status !== 'unreviewed') {
      this.toast('warning', `${take.fileName} is approved; clear it (U) before marking it ${status}.`);
      return;
    }
    const updated =
      take.status === 'approved'
        ? await this.attempt(() => backend.unapproveTake(take.id))
        : await this.attempt(() => backend.setStatus(take.id, status));
    if (updated) {
      this.replaceTake(updated);
      if (take.status === 'approved') await Promise.all([this.refreshShots(), this.refreshRequests()]);
    }
  }

  /** A: approve (default mode and resolution unless given); at most one render request. */
  async approve(take: TakeDto, options: ApproveOptions = {}): Promise<void> {
    const approval = await this.attempt(() => backend.approveTake(take.id, options));
    if (!approval) return;
    this.replaceTake(approval.take);
    if (approval.budgetWarning) this.toast('warning', approval.budgetWarning);
    if (approval.request) {
      this.toast('info', `Approved ${take.fileName}: render request queued (${Math.round(approval.request.creditsEstimate)} cr).`);
    } else {
      this.toast('info', `${take.fileName} marked final.`);
    }
    await Promise.all([this.refreshShots(), this.refreshRequests(), this.refreshTakes()]);
  }

  /** F: mark the take final, or clear the mark when it already is. */
  async toggleFinal(take: TakeDto): Promise<void> {
    const updated = await this.attempt(() => (take.isFinal ? backend.clearFinal(take.id) : backend.markFinal(take.id)));
    if (!updated) return;
    this.replaceTake(updated);
    await Promise.all([this.refreshShots(), this.refreshTakes()]);
  }

  async setTrim(take: TakeDto, trimIn: number | null, trimOut: number | null): Promise<void> {
    const updated = await this.attempt(() => backend.setTrim(take.id, trimIn, trimOut));
    if (updated) this.replaceTake(updated);
  }

  async addNote(takeId: number, frame: number, text: string): Promise<boolean> {
    const updated = await this.attempt(() => backend.addNote(takeId, frame, text));
    if (updated) this.replaceTake(updated);
    return updated !== null;
  }

  async cancelRequest(request: RequestDto): Promise<void> {
    const updated = await this.attempt(() => backend.cancelRequest(request.id));
    if (updated) await Promise.all([this.refreshRequests(), this.refreshShots()]);
  }

  /** Links, re-sends or cancels an `unknown` or `exported` request. */
  async resolveRequest(request: RequestDto, action: ResolveAction, generationId?: string): Promise<void> {
    const updated = await this.attempt(() => backend.resolveRequest(request.id, action, generationId));
    if (updated) await Promise.all([this.refreshRequests(), this.refreshShots()]);
  }

  /** Opens the render queue on one request (followed from a take). */
  showRequest(requestId: number): void {
    this.focusedRequest = requestId;
    this.panel = 'queue';
  }

  /** Opens a panel, or closes it when it is already open. */
  togglePanel(panel: Exclude<Panel, 'none'>): void {
    this.panel = this.panel === panel ? 'none' : panel;
  }

  toast(kind: Toast['kind'], text: string): void {
    const id = this.nextToastId++;
    this.toasts = [...this.toasts.slice(-4), { id, kind, text }];
    if (kind === 'info') setTimeout(() => this.dismiss(id), INFO_TOAST_MS);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** Runs a backend call; a failure becomes an error toast and the result null. */
  async attempt<T>(run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  fail(e: unknown): void {
    this.toast('error', describe(e));
  }

  private replaceTake(take: TakeDto): void {
    this.takes = this.takes.map((t) => (t.id === take.id ? take : t));
  }

  /** Marks what an event names as stale; one refetch answers a burst. */
  onEvent(event: LibraryEvent): void {
    switch (event.kind) {
      case 'take-added':
      case 'take-changed':
      case 'take-missing':
      case 'take-restored':
        this.pending.shots = true;
        this.pending.requests = true; // credits spent move with takes
        if (event.shotId === this.currentShotId || this.takes.some((t) => t.id === event.takeId)) {
          this.pending.takes = true;
        }
        break;
    }
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => void this.flush(), EVENT_COALESCE_MS);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    const pending = this.pending;
    this.pending = { shots: false, takes: false, requests: false };
    const jobs: Promise<void>[] = [];
    if (pending.requests) jobs.push(this.refreshRequests());
    if (pending.shots) jobs.push(this.refreshShots());
    await Promise.all(jobs);
    if (pending.takes || (pending.shots && this.takes.length === 0)) await this.refreshTakes();
  }
}

/** One line for the user: the code's wording and the backend's message. */
export function describe(e: unknown): string {
  if (e instanceof IpcFailure) return `${errorPrefix(e.code)}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The window's state. */
export const appState = new AppState();
