// The media plumbing of the compare grid: how a <video> joins the master clock, how its
// WebKitGTK pipeline is primed before playback and let go when the player leaves.

import { MasterClock, shownFrame, type ClockVideo } from './clock';
import { mediaErrorText, takeRate } from './format';
import { fpsValue } from './timecode';
import type { TakeDto } from './bindings/TakeDto';

/** A mounted player: its element and timing. */
export interface Player {
  video: HTMLVideoElement;
  fps: number;
  frames: number;
}

/** A take's frame rate, or the grid's reference rate when its file does not say. */
export function takeFps(take: TakeDto, refFps: number): number {
  const r = takeRate(take);
  return r ? fpsValue(r) : refFps;
}

/** Frames of a take before its metadata has loaded: the catalog's count, else its duration. */
export function initialFrames(take: TakeDto, fps: number): number {
  if (take.frames && take.frames > 0) return take.frames;
  if (take.durationS && take.durationS > 0) return Math.max(1, Math.round(take.durationS * fps));
  return 1;
}

/**
 * The clock's view of a <video>. If the WebView refuses to start an unmuted video
 * without a user gesture, the take plays muted rather than not at all.
 */
export function clockVideo(video: HTMLVideoElement): ClockVideo {
  return {
    get currentTime() {
      return video.currentTime;
    },
    set currentTime(t: number) {
      video.currentTime = t;
    },
    get playbackRate() {
      return video.playbackRate;
    },
    set playbackRate(rate: number) {
      video.playbackRate = rate;
    },
    get paused() {
      return video.paused;
    },
    get seeking() {
      return video.seeking;
    },
    get readyState() {
      return video.readyState;
    },
    play: () =>
      video.play().catch((e: unknown) => {
        if (e instanceof DOMException && e.name === 'NotAllowedError' && !video.muted) {
          video.muted = true;
          return video.play();
        }
        throw e;
      }),
    pause: () => video.pause(),
  };
}

/**
 * WebKitGTK's first play() of a media element blocks for 25–75 ms (its pipeline's first
 * switch to PLAYING), so players started in one go would start that far apart — one to
 * four frames. A muted play() + pause() in one task pays that once, while nothing plays.
 * The pipeline may show a frame or more before the pause takes, so once it has, the
 * player is put back on the clock's frame.
 */
function primePipeline(clock: MasterClock, id: number, video: HTMLVideoElement): void {
  if (!video.paused || clock.playing) return;
  const muted = video.muted;
  video.muted = true;
  const started = video.play();
  video.pause();
  video.muted = muted;
  void started
    .catch(() => undefined)
    .then(() => {
      if (!clock.playing) clock.reseatPlayer(id);
    });
}

/**
 * Lets go of a player's decoder now. A removed <video> keeps its GStreamer pipeline
 * (~35 MiB at 720p) until the element is collected, which can be never: walking through
 * twelve shots of six takes left the web process at 2.3 GiB.
 */
function releasePipeline(video: HTMLVideoElement): void {
  video.pause();
  video.removeAttribute('src');
  video.load();
}

/** The mounted players of one grid, on one clock. */
export class Players {
  readonly all = new Map<number, Player>();

  constructor(
    private readonly clock: MasterClock,
    private readonly refFps: number,
    private readonly onMediaError: (takeId: number, text: string) => void,
  ) {}

  /** Registers `video` (playing `take`) with the clock; the returned function undoes it. */
  mount(video: HTMLVideoElement, take: TakeDto, muted: boolean): () => void {
    const id = take.id;
    const fps = takeFps(take, this.refFps);
    const entry: Player = { video, fps, frames: initialFrames(take, fps) };
    this.all.set(id, entry);
    video.muted = muted;
    this.clock.addPlayer({ id, video: clockVideo(video), fps, frames: entry.frames });
    const onMetadata = () => {
      if (!take.frames && Number.isFinite(video.duration) && video.duration > 0) {
        entry.frames = Math.max(1, Math.round(video.duration * fps));
      }
      this.clock.updatePlayer(id, entry.frames);
    };
    const onError = () => this.onMediaError(id, mediaErrorText(video.error?.code));
    const onCanPlay = () => primePipeline(this.clock, id, video);
    video.addEventListener('loadedmetadata', onMetadata);
    video.addEventListener('error', onError);
    video.addEventListener('canplay', onCanPlay, { once: true });
    return () => {
      video.removeEventListener('loadedmetadata', onMetadata);
      video.removeEventListener('error', onError);
      video.removeEventListener('canplay', onCanPlay);
      releasePipeline(video);
      this.clock.removePlayer(id);
      this.all.delete(id);
    };
  }

  /** The frame each player shows now. */
  shownFrames(): [number, number][] {
    return [...this.all].map(([id, p]) => [id, shownFrame(p.video.currentTime, p.fps, p.frames)]);
  }

  /** Audio follows the focused take: every other player is muted. */
  muteAllBut(focused: number | null): void {
    for (const [id, p] of this.all) p.video.muted = id !== focused;
  }
}
