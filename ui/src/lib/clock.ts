// The master clock of the compare grid: one position, in frames at the grid's reference
// rate, drives every player. Pure logic over a time source and video-like objects, so it
// is unit-tested without a browser; the grid component only calls `tick()` per animation
// frame and forwards key actions.
//
// Mapping: clock frame c is clock time t = c / refFps; a player at `fps` shows frame
// floor(t * fps + 1e-6), clamped to its last frame (shorter takes hold). Seeks put each
// video at the centre of its target frame, (f + 0.5) / fps, so decoders land on it.
//
// Forward playback follows a leader: the longest take's own media clock (its currentTime)
// is the clock, so the clock never runs away from what decoders can show. Players started
// together from landed seeks stay together on their own (each pipeline runs on the system
// clock), so starts wait until every seek has landed and then start all players in one go.
// A player that still drifts off is seeked, never while a seek of it is in flight, and
// ahead by its measured seek latency so it lands where the clock will be. playbackRate is
// never used to steer: in WebKitGTK every rate change stalls the pipeline like a seek.
// While the leader is seeking the clock holds; with no playing leader (refused autoplay,
// a broken file) it runs on wall time. Reverse play seeks frame by frame (WebKit cannot
// play backwards).

import type { ActionId } from './shortcuts';

/** Milliseconds from a monotonic source (performance.now in the app, a fake in tests). */
export interface TimeSource {
  now(): number;
}

/** The part of an HTMLVideoElement the clock drives. */
export interface ClockVideo {
  currentTime: number;
  playbackRate: number;
  readonly paused: boolean;
  /** True while a seek is in flight (currentTime then reports its target). */
  readonly seeking: boolean;
  /** HTMLMediaElement.readyState: 2 (HAVE_CURRENT_DATA) and up can show a frame. */
  readonly readyState: number;
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
export type TickAction = 'steady' | 'seek' | 'seeking' | 'hold' | 'start';

/** One decision of a tick. */
export interface TickDecision {
  id: number;
  action: TickAction;
}

/** Forward shuttle speeds (L); reverse (J) uses the same magnitudes, negated. */
export const SHUTTLE_SPEEDS = [1, 2, 4, 8] as const;

/** During playback a player further than this many frames off the clock is seeked. */
export const SEEK_DRIFT_FRAMES = 2;
/** After a corrective seek lands, a player is left alone this long (ms). */
export const SEEK_GRACE_MS = 400;
/**
 * A start waits at most this long (ms) for seeks to land before playing anyway. Seeks land
 * in ~50 ms here; one issued to a paused player at the end of its media never lands until
 * it plays again (WebKitGTK), which this bounds.
 */
export const START_WAIT_MS = 400;
/**
 * Forward, the clock wraps this many ticks before the range's end, so the longest take
 * is seeked back while it still plays its last frame, not after its media ended.
 */
export const WRAP_LEAD_TICKS = 1.5;
/** Seek latency assumed until one has been measured (ms). */
export const DEFAULT_SEEK_LATENCY_MS = 150;
/** Seek latencies are capped at this when seeking ahead (ms). */
export const MAX_SEEK_LATENCY_MS = 1000;
/** Leaders ready to show a frame have at least this readyState (HAVE_CURRENT_DATA). */
const HAVE_CURRENT_DATA = 2;

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
  /** When the last seek or (re)start was issued (ms). */
  lastSeekAt: number;
  /** Frame last sought to while stepping backwards, to avoid repeated identical seeks. */
  lastSoughtFrame: number | null;
  /** When an in-flight corrective seek during playback was issued, to time it. */
  correctiveSeekAt: number | null;
  /** Smoothed time a seek during playback takes to land (ms). */
  seekLatencyMs: number;
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
  /** Set while a forward start waits for seeks to land: when it was asked for (ms). */
  private startPendingSince: number | null = null;
  /** When the previous tick ran (ms), to know how far ahead the next one will be. */
  private lastTickAt: number | null = null;

  /** `refFps`: the reference rate (the first take's fps). */
  constructor(
    readonly refFps: number,
    private readonly time: TimeSource,
  ) {
    if (!(refFps > 0)) throw new Error(`reference frame rate must be positive, got ${refFps}`);
  }

  /** Adds (or replaces) a player and puts it on the clock's current frame. */
  addPlayer(player: ClockPlayer): void {
    this.players.set(player.id, {
      player,
      lastSeekAt: -Infinity,
      lastSoughtFrame: null,
      correctiveSeekAt: null,
      seekLatencyMs: DEFAULT_SEEK_LATENCY_MS,
    });
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

  /** Puts one player back on the clock's frame (after something else moved its media). */
  reseatPlayer(id: number): void {
    const state = this.players.get(id);
    if (state) this.seekPlayer(state, this.time.now());
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
    this.reseat(now);
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
    this.startPendingSince = null;
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
    if (this.startPendingSince !== null) {
      if (this.anySeeking() && now - this.startPendingSince < START_WAIT_MS) {
        this.anchor(now);
        return [...this.players.keys()].map((id) => ({ id, action: 'seeking' as const }));
      }
      this.launch(now);
    }
    const [first, last] = this.range();
    let pos = this.advance(now);
    const tickFrames =
      ((this.lastTickAt === null ? 1000 / this.refFps : now - this.lastTickAt) / 1000) *
      this.refFps *
      Math.abs(this.currentSpeed);
    this.lastTickAt = now;
    // At most one frame early: the last frame may be cut short, never the media's end hit.
    // Shorter takes are held by the same lead (see `correct`).
    const lead = Math.min(1, WRAP_LEAD_TICKS * tickFrames);
    let wrapped = false;
    if (this.currentSpeed > 0 && pos + lead > last + 1 + EPS) {
      pos = first;
      wrapped = true;
    } else if (this.currentSpeed < 0 && pos < first - EPS) {
      pos = last;
      wrapped = true;
    }
    this.position = pos;
    if (wrapped) {
      this.position = Math.round(pos);
      this.reseat(now);
      return [...this.players.keys()].map((id) => ({ id, action: 'seek' as const }));
    }
    const decisions: TickDecision[] = [];
    for (const state of this.players.values()) {
      decisions.push({ id: state.player.id, action: this.correct(state, now, lead) });
    }
    return decisions;
  }

  /**
   * The clock position at `now`: forward, the leader's own position (never backwards,
   * held while the leader seeks); otherwise, or with no playing leader, wall time since
   * the last anchor.
   */
  private advance(now: number): number {
    const wallClock = () =>
      this.anchorPosition + ((now - this.anchorTime) / 1000) * this.refFps * this.currentSpeed;
    if (this.currentSpeed < 0) return wallClock();
    const leader = this.leader();
    if (!leader) return wallClock();
    const { video } = leader.player;
    if (video.seeking) {
      this.anchor(now);
      return this.position;
    }
    if (video.paused) return wallClock();
    const pos = Math.max(this.position, video.currentTime * this.refFps);
    this.anchorTime = now;
    this.anchorPosition = pos;
    return pos;
  }

  /**
   * The player the clock follows during forward playback: the longest take that can show
   * frames (or is seeking to) and is still inside its own range — it holds last, so it
   * never stops before the clock does; first added on ties. None when no take qualifies.
   */
  private leader(): PlayerState | null {
    const t = this.position / this.refFps;
    let best: PlayerState | null = null;
    let bestLength = -Infinity;
    for (const state of this.players.values()) {
      const { player } = state;
      if (!(player.fps > 0) || this.pastEnd(player, t)) continue;
      if (!player.video.seeking && player.video.readyState < HAVE_CURRENT_DATA) continue;
      const length = player.frames / player.fps;
      if (length > bestLength + EPS) {
        best = state;
        bestLength = length;
      }
    }
    return best;
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
    this.lastTickAt = null;
    if (speed > 0) {
      this.startForward(now);
    } else {
      this.startPendingSince = null;
      for (const { player } of this.players.values()) player.video.pause();
    }
  }

  /**
   * Puts every player on the clock's frame. Playing forward, players are paused before
   * they seek and restart together once every seek has landed: in WebKitGTK a seek issued
   * while playing and then paused never lands until play() is called again.
   */
  private reseat(now: number): void {
    this.anchor(now);
    const forward = this.currentSpeed > 0;
    if (forward) for (const { player } of this.players.values()) player.video.pause();
    for (const state of this.players.values()) this.seekPlayer(state, now);
    if (forward) this.startForward(now);
  }

  /**
   * Starts native playback at the clock's speed: at once when every player sits on its
   * frame, else (paused) once their seeks have landed, so all start from the same frame.
   */
  private startForward(now: number): void {
    if (!this.anySeeking()) {
      this.launch(now);
      return;
    }
    for (const { player } of this.players.values()) player.video.pause();
    this.startPendingSince = now;
    this.anchor(now);
  }

  /** Plays every player that still has frames, in one go, at the clock's speed. */
  private launch(now: number): void {
    this.startPendingSince = null;
    this.anchor(now);
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

  private anySeeking(): boolean {
    for (const { player } of this.players.values()) if (player.video.seeking) return true;
    return false;
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

  /**
   * Keeps one player on the clock. Forward, a shorter take is held on its last frame
   * `lead` clock frames early, like the wrap, so its hold seek lands before its media ends.
   */
  private correct(state: PlayerState, now: number, lead: number): TickAction {
    const { player } = state;
    const t = this.position / this.refFps;
    const holdAt = this.currentSpeed > 0 ? t + lead / this.refFps : t;
    if (this.pastEnd(player, holdAt)) {
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
    const { video } = player;
    if (video.seeking) return 'seeking';
    if (state.correctiveSeekAt !== null) {
      // The corrective seek landed: remember how long it took, to seek ahead by as much.
      const took = Math.min(now - state.correctiveSeekAt, MAX_SEEK_LATENCY_MS);
      state.seekLatencyMs = (state.seekLatencyMs + took) / 2;
      state.correctiveSeekAt = null;
      state.lastSeekAt = now;
    }
    const settling = now - state.lastSeekAt < SEEK_GRACE_MS;
    if (video.paused) {
      // Came back from holding, or play() was refused: resync and restart, not every frame.
      if (settling) return 'steady';
      video.currentTime = t;
      video.playbackRate = this.currentSpeed;
      void Promise.resolve(video.play()).catch(() => undefined);
      state.lastSeekAt = now;
      state.lastSoughtFrame = null;
      return 'start';
    }
    const drift = (video.currentTime - t) * player.fps;
    if (Math.abs(drift) > SEEK_DRIFT_FRAMES && !settling) {
      // Land where the clock will be once the seek is done.
      const ahead = (state.seekLatencyMs / 1000) * this.currentSpeed;
      video.currentTime = Math.min(t + ahead, frameCenter(Math.max(0, player.frames - 1), player.fps));
      video.playbackRate = this.currentSpeed;
      state.lastSeekAt = now;
      state.correctiveSeekAt = now;
      state.lastSoughtFrame = null;
      return 'seek';
    }
    return 'steady';
  }
}

/** The key actions that only move the clock (play, shuttle, step, loop points). */
export const CLOCK_ACTIONS: Partial<Record<ActionId, (clock: MasterClock) => void>> = {
  togglePlay: (c) => c.togglePlay(),
  shuttleReverse: (c) => c.shuttleReverse(),
  shuttlePause: (c) => c.pause(),
  shuttleForward: (c) => c.shuttleForward(),
  stepBack: (c) => c.step(-1),
  stepForward: (c) => c.step(1),
  stepBack10: (c) => c.step(-10),
  stepForward10: (c) => c.step(10),
  home: (c) => c.home(),
  end: (c) => c.end(),
  loopIn: (c) => c.setLoopIn(),
  loopOut: (c) => c.setLoopOut(),
  clearLoopIn: (c) => c.clearLoopIn(),
  clearLoopOut: (c) => c.clearLoopOut(),
  clearLoop: (c) => c.clearLoop(),
};
