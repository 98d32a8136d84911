// The master clock of the compare grid: one position, in frames at the grid's reference
// rate, drives every player. Pure logic over a time source and video-like objects, so it
// is unit-tested without a browser; the grid component only calls `tick()` per animation
// frame and forwards key actions.
//
// Mapping: clock frame c is clock time t = c / refFps; a player at `fps` shows frame
// floor(t * fps + 1e-6), clamped to its last frame (shorter takes hold). Seeks put each
// video at the centre of its target frame, (f + 0.5) / fps, so decoders land on it.

/** Milliseconds from a monotonic source (performance.now in the app, a fake in tests). */
export interface TimeSource {
  now(): number;
}

/** The part of an HTMLVideoElement the clock drives. */
export interface ClockVideo {
  currentTime: number;
  playbackRate: number;
  readonly paused: boolean;
  play(): unknown;
  pause(): void;
}

/** One player in the grid: its video, exact frame rate and frame count. */
export interface ClockPlayer {
  id: number;
  video: ClockVideo;
  fps: number;
  frames: number;
}

/** What `tick()` did to one player, for tests and diagnostics. */
export type TickAction = 'steady' | 'nudge' | 'seek' | 'hold' | 'start';

/** One decision of a tick. */
export interface TickDecision {
  id: number;
  action: TickAction;
}

/** Forward shuttle speeds (L); reverse (J) uses the same magnitudes, negated. */
export const SHUTTLE_SPEEDS = [1, 2, 4, 8] as const;

/** A drift beyond this many frames is corrected by a seek. */
export const SEEK_DRIFT_FRAMES = 1;
/** A drift beyond this many frames (and within SEEK_DRIFT_FRAMES) nudges playbackRate. */
export const NUDGE_DRIFT_FRAMES = 0.1;
/** Largest relative playbackRate change a nudge applies. */
export const MAX_NUDGE = 0.05;
/** After a corrective seek a player is left alone this long (ms) so seeks don't pile up. */
export const SEEK_GRACE_MS = 400;

const EPS = 1e-6;

/** The frame a player at `fps` with `frames` frames shows at clock time `t` seconds. */
export function frameAt(t: number, fps: number, frames: number): number {
  const f = Math.floor(t * fps + EPS);
  return Math.max(0, Math.min(f, Math.max(0, frames - 1)));
}

/** The frame a video currently shows, from its currentTime (what `data-frame` reports). */
export function shownFrame(currentTime: number, fps: number, frames: number): number {
  return frameAt(currentTime, fps, frames);
}

/** The first clock frame at which a player at `fps` shows its frame `f` (note/trim seeks). */
export function clockFrameFor(f: number, fps: number, refFps: number): number {
  return Math.max(0, Math.ceil((f * refFps) / fps - EPS));
}

/** Seconds at the centre of frame `f` at `fps`. */
export function frameCenter(f: number, fps: number): number {
  return (f + 0.5) / fps;
}

interface PlayerState {
  player: ClockPlayer;
  lastSeekAt: number;
  /** Frame last sought to while stepping backwards, to avoid repeated identical seeks. */
  lastSoughtFrame: number | null;
}

/** The single clock behind a compare grid. */
export class MasterClock {
  private players = new Map<number, PlayerState>();
  private position = 0;
  private currentSpeed = 0;
  private anchorTime = 0;
  private anchorPosition = 0;
  private loopIn: number | null = null;
  private loopOut: number | null = null;

  /** `refFps`: the reference rate (the first take's fps). */
  constructor(
    readonly refFps: number,
    private readonly time: TimeSource,
  ) {
    if (!(refFps > 0)) throw new Error(`reference frame rate must be positive, got ${refFps}`);
  }

  /** Adds (or replaces) a player and puts it on the clock's current frame. */
  addPlayer(player: ClockPlayer): void {
    this.players.set(player.id, { player, lastSeekAt: -Infinity, lastSoughtFrame: null });
    this.seekPlayer(this.players.get(player.id)!, this.time.now());
  }

  /** Removes a player (its element left the grid). */
  removePlayer(id: number): void {
    this.players.delete(id);
  }

  /** Updates a player's frame count once its metadata is known, and re-seats it. */
  updatePlayer(id: number, frames: number): void {
    const state = this.players.get(id);
    if (!state) return;
    state.player.frames = frames;
    this.seekPlayer(state, this.time.now());
  }

  /** Last clock frame: where the longest take shows its last frame. */
  get lastFrame(): number {
    let last = 0;
    for (const { player } of this.players.values()) {
      if (player.frames <= 0 || !(player.fps > 0)) continue;
      last = Math.max(last, Math.floor((player.frames / player.fps) * this.refFps - EPS));
    }
    return last;
  }

  /** The clock frame (integer). */
  get frame(): number {
    return Math.floor(this.position + EPS);
  }

  /** Current speed: 0 paused, 1/2/4/8 forward, -1/-2/-4/-8 reverse. */
  get speed(): number {
    return this.currentSpeed;
  }

  /** True while the clock runs in either direction. */
  get playing(): boolean {
    return this.currentSpeed !== 0;
  }

  /** The loop range as set (either end may be open). */
  get loop(): { in: number | null; out: number | null } {
    return { in: this.loopIn, out: this.loopOut };
  }

  /** The frame player `id` should show at the current clock frame. */
  targetFrame(id: number): number | null {
    const state = this.players.get(id);
    if (!state) return null;
    const { fps, frames } = state.player;
    return frameAt(this.frame / this.refFps, fps, frames);
  }

  /** Moves every player to clock frame `frame` (clamped to the clock's range). */
  seek(frame: number): void {
    const now = this.time.now();
    this.position = Math.max(0, Math.min(Math.round(frame), this.lastFrame));
    this.anchor(now);
    for (const state of this.players.values()) this.seekPlayer(state, now);
    if (this.currentSpeed > 0) this.startForward(now);
  }

  /** Pauses and moves `n` frames (negative = back), clamped to the clock's range. */
  step(n: number): void {
    this.pause();
    this.seek(this.frame + n);
  }

  /** Goes to the first frame (the loop in point when set). */
  home(): void {
    this.seek(this.loopIn ?? 0);
  }

  /** Goes to the last frame (the loop out point when set). */
  end(): void {
    this.seek(this.loopOut ?? this.lastFrame);
  }

  /** Plays forward at 1×. */
  play(): void {
    this.setSpeed(1);
  }

  /** Stops on a whole frame with every player on it. */
  pause(): void {
    if (this.currentSpeed === 0) return;
    this.currentSpeed = 0;
    for (const { player } of this.players.values()) {
      player.video.pause();
      player.video.playbackRate = 1;
    }
    this.seek(this.frame);
  }

  /** Space: play at 1× when stopped, stop otherwise. */
  togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  /** L: forward at 1×, or double the forward speed up to 8×. */
  shuttleForward(): void {
    this.setSpeed(this.currentSpeed <= 0 ? 1 : Math.min(this.currentSpeed * 2, 8));
  }

  /** J: reverse at 1×, or double the reverse speed up to 8×. */
  shuttleReverse(): void {
    this.setSpeed(this.currentSpeed >= 0 ? -1 : Math.max(this.currentSpeed * 2, -8));
  }

  /** I: loop in at `frame` (default: the current frame); an out point before it is dropped. */
  setLoopIn(frame: number = this.frame): void {
    this.loopIn = frame;
    if (this.loopOut !== null && this.loopOut < frame) this.loopOut = null;
  }

  /** O: loop out at `frame` (default: the current frame); an in point after it is dropped. */
  setLoopOut(frame: number = this.frame): void {
    this.loopOut = frame;
    if (this.loopIn !== null && this.loopIn > frame) this.loopIn = null;
  }

  /** Alt+I: drops the in point, keeps the out point. */
  clearLoopIn(): void {
    this.loopIn = null;
  }

  /** Alt+O: drops the out point, keeps the in point. */
  clearLoopOut(): void {
    this.loopOut = null;
  }

  /** Clears both loop points. */
  clearLoop(): void {
    this.loopIn = null;
    this.loopOut = null;
  }

  /**
   * Advances the clock from the time source and corrects the players; call once per
   * animation frame. Returns what it did to each player (empty when paused).
   */
  tick(): TickDecision[] {
    if (this.currentSpeed === 0) return [];
    const now = this.time.now();
    const [first, last] = this.range();
    let pos = this.anchorPosition + ((now - this.anchorTime) / 1000) * this.refFps * this.currentSpeed;
    let wrapped = false;
    if (this.currentSpeed > 0 && Math.floor(pos + EPS) > last) {
      pos = first;
      wrapped = true;
    } else if (this.currentSpeed < 0 && pos < first - EPS) {
      pos = last;
      wrapped = true;
    }
    this.position = pos;
    if (wrapped) {
      this.position = Math.round(pos);
      this.anchor(now);
      for (const state of this.players.values()) this.seekPlayer(state, now);
      if (this.currentSpeed > 0) this.startForward(now);
      return [...this.players.keys()].map((id) => ({ id, action: 'seek' as const }));
    }
    const decisions: TickDecision[] = [];
    for (const state of this.players.values()) {
      decisions.push({ id: state.player.id, action: this.correct(state, now) });
    }
    return decisions;
  }

  private range(): [number, number] {
    const last = this.lastFrame;
    const first = Math.min(this.loopIn ?? 0, last);
    const end = Math.min(this.loopOut ?? last, last);
    return [first, Math.max(first, end)];
  }

  private anchor(now: number): void {
    this.anchorTime = now;
    this.anchorPosition = this.position;
  }

  private setSpeed(speed: number): void {
    const now = this.time.now();
    const [first, last] = this.range();
    if (this.currentSpeed === 0 && (this.frame < first || this.frame > last)) {
      this.position = first;
      for (const state of this.players.values()) this.seekPlayer(state, now);
    } else {
      this.position = this.frame;
    }
    this.anchor(now);
    this.currentSpeed = speed;
    if (speed > 0) this.startForward(now);
    else for (const { player } of this.players.values()) player.video.pause();
  }

  /** Starts native playback at the clock's speed on every player that still has frames. */
  private startForward(now: number): void {
    const t = this.position / this.refFps;
    for (const state of this.players.values()) {
      const { player } = state;
      player.video.playbackRate = this.currentSpeed;
      if (this.pastEnd(player, t)) {
        player.video.pause();
      } else if (player.video.paused) {
        void Promise.resolve(player.video.play()).catch(() => undefined);
        state.lastSeekAt = now;
      }
    }
  }

  private pastEnd(player: ClockPlayer, t: number): boolean {
    return Math.floor(t * player.fps + EPS) > player.frames - 1;
  }

  /** Puts a player at the centre of its target frame. */
  private seekPlayer(state: PlayerState, now: number): void {
    const { player } = state;
    const f = frameAt(this.frame / this.refFps, player.fps, player.frames);
    player.video.currentTime = frameCenter(f, player.fps);
    state.lastSeekAt = now;
    state.lastSoughtFrame = f;
  }

  private correct(state: PlayerState, now: number): TickAction {
    const { player } = state;
    const t = this.position / this.refFps;
    if (this.pastEnd(player, t)) {
      const last = Math.max(0, player.frames - 1);
      if (!player.video.paused || state.lastSoughtFrame !== last) {
        player.video.pause();
        player.video.currentTime = frameCenter(last, player.fps);
        state.lastSoughtFrame = last;
        state.lastSeekAt = now;
      }
      return 'hold';
    }
    if (this.currentSpeed < 0) {
      // Reverse: WebKit can't play backwards, so the clock seeks frame by frame.
      const f = frameAt(t, player.fps, player.frames);
      if (f === state.lastSoughtFrame) return 'steady';
      player.video.currentTime = frameCenter(f, player.fps);
      state.lastSoughtFrame = f;
      state.lastSeekAt = now;
      return 'seek';
    }
    const settling = now - state.lastSeekAt < SEEK_GRACE_MS;
    if (player.video.paused) {
      // Came back from holding, or play() was refused: resync and restart, not every frame.
      if (settling) return 'steady';
      player.video.currentTime = t;
      player.video.playbackRate = this.currentSpeed;
      void Promise.resolve(player.video.play()).catch(() => undefined);
      state.lastSeekAt = now;
      state.lastSoughtFrame = null;
      return 'start';
    }
    const drift = (player.video.currentTime - t) * player.fps;
    if (Math.abs(drift) > SEEK_DRIFT_FRAMES && !settling) {
      player.video.currentTime = t;
      player.video.playbackRate = this.currentSpeed;
      state.lastSeekAt = now;
      state.lastSoughtFrame = null;
      return 'seek';
    }
    if (Math.abs(drift) > NUDGE_DRIFT_FRAMES) {
      // Ahead → slow down, behind → speed up; drift corrected over about half a second.
      const adjust = Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, -drift / (player.fps * 0.5)));
      player.video.playbackRate = this.currentSpeed * (1 + adjust);
      return 'nudge';
    }
    player.video.playbackRate = this.currentSpeed;
    return 'steady';
  }
}
