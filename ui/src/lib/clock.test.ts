import { describe, expect, it } from 'vitest';
import { MasterClock, clockFrameFor, frameAt, shownFrame, type ClockVideo, type TimeSource } from './clock';

class FakeTime implements TimeSource {
  t = 1000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A video that plays in lock-step with the fake time when not paused. */
class FakeVideo implements ClockVideo {
  currentTime = 0;
  playbackRate = 1;
  paused = true;
  seeks: number[] = [];
  constructor(private readonly duration: number) {}
  play(): void {
    this.paused = false;
  }
  pause(): void {
    this.paused = true;
  }
  /** Advance playback by `ms` of wall time at the current rate (stops at the end). */
  run(ms: number): void {
    if (this.paused) return;
    this.currentTime = Math.min(this.duration, this.currentTime + (ms / 1000) * this.playbackRate);
  }
}

/** Wraps currentTime writes to count seeks. */
function tracked(video: FakeVideo): FakeVideo {
  let value = video.currentTime;
  Object.defineProperty(video, 'currentTime', {
    get: () => value,
    set: (v: number) => {
      value = v;
      video.seeks.push(v);
    },
  });
  return video;
}

function grid(specs: { fps: number; frames: number }[]) {
  const time = new FakeTime();
  const clock = new MasterClock(specs[0].fps, time);
  const videos = specs.map((s) => tracked(new FakeVideo(s.frames / s.fps)));
  specs.forEach((s, i) => clock.addPlayer({ id: i + 1, video: videos[i], fps: s.fps, frames: s.frames }));
  const frames = () => specs.map((s, i) => shownFrame(videos[i].currentTime, s.fps, s.frames));
  return { time, clock, videos, frames };
}

describe('frame mapping', () => {
  it('maps clock time to each player frame with floor and a small epsilon', () => {
    expect(frameAt(10 / 24, 24, 120)).toBe(10);
    expect(frameAt(1 / 24, 30, 150)).toBe(1);
    expect(frameAt((1001 * 3) / 24000, 24000 / 1001, 100)).toBe(3);
  });
  it('finds the clock frame that shows a given player frame', () => {
    expect(clockFrameFor(60, 30, 24)).toBe(48);
    expect(clockFrameFor(61, 30, 24)).toBe(49);
    expect(frameAt(49 / 24, 30, 150)).toBe(61);
    expect(clockFrameFor(10, 24, 24)).toBe(10);
  });
  it('clamps to the last frame', () => {
    expect(frameAt(99, 24, 120)).toBe(119);
  });
});

describe('MasterClock seeking and stepping', () => {
  it('puts every player on the same frame after a seek, at the frame centre', () => {
    const { clock, videos, frames } = grid([{ fps: 24, frames: 120 }, { fps: 24, frames: 120 }]);
    clock.seek(37);
    expect(clock.frame).toBe(37);
    expect(frames()).toEqual([37, 37]);
    expect(videos[0].currentTime).toBeCloseTo(37.5 / 24, 9);
  });
  it('maps the clock frame to players of other rates', () => {
    const { clock, frames } = grid([{ fps: 24, frames: 120 }, { fps: 30, frames: 150 }, { fps: 24000 / 1001, frames: 119 }]);
    clock.seek(48); // 2.0 s
    expect(frames()).toEqual([48, 60, 47]);
  });
  it('steps one and ten frames and pauses', () => {
    const { clock, frames } = grid([{ fps: 24, frames: 120 }, { fps: 24, frames: 120 }]);
    clock.play();
    clock.step(1);
    expect(clock.playing).toBe(false);
    expect(frames()).toEqual([1, 1]);
    clock.step(10);
    expect(frames()).toEqual([11, 11]);
    clock.step(-3);
    expect(frames()).toEqual([8, 8]);
  });
  it('clamps seeks to the longest take and holds shorter takes on their last frame', () => {
    const { clock, frames } = grid([{ fps: 24, frames: 120 }, { fps: 24, frames: 48 }]);
    expect(clock.lastFrame).toBe(119);
    clock.seek(500);
    expect(clock.frame).toBe(119);
    expect(frames()).toEqual([119, 47]);
    clock.seek(-5);
    expect(frames()).toEqual([0, 0]);
  });
  it('Home and End go to the loop points when set, else the ends', () => {
    const { clock } = grid([{ fps: 24, frames: 120 }]);
    clock.end();
    expect(clock.frame).toBe(119);
    clock.home();
    expect(clock.frame).toBe(0);
    clock.setLoopIn(10);
    clock.setLoopOut(20);
    clock.end();
    expect(clock.frame).toBe(20);
    clock.home();
    expect(clock.frame).toBe(10);
  });
  it('a late-added player joins on the current frame', () => {
    const time = new FakeTime();
    const clock = new MasterClock(24, time);
    clock.addPlayer({ id: 1, video: new FakeVideo(5), fps: 24, frames: 120 });
    clock.seek(30);
    const late = new FakeVideo(5);
    clock.addPlayer({ id: 2, video: late, fps: 24, frames: 120 });
    expect(shownFrame(late.currentTime, 24, 120)).toBe(30);
  });
});

describe('MasterClock playback', () => {
  it('advances from the time source and nudges players started half a frame ahead', () => {
    const { clock, time, videos } = grid([{ fps: 24, frames: 240 }, { fps: 24, frames: 240 }]);
    clock.play();
    expect(videos.every((v) => !v.paused && v.playbackRate === 1)).toBe(true);
    time.advance(1000);
    videos.forEach((v) => v.run(1000));
    const decisions = clock.tick();
    expect(clock.frame).toBe(24);
    expect(decisions.map((d) => d.action)).toEqual(['nudge', 'nudge']);
    // They were started at frame centres (half a frame ahead): nudged slower.
    expect(videos[0].playbackRate).toBeLessThan(1);
  });
  it('seeks a player that drifted more than one frame', () => {
    const { clock, time, videos } = grid([{ fps: 24, frames: 240 }, { fps: 24, frames: 240 }]);
    clock.play();
    time.advance(1000);
    videos[0].run(1000);
    videos[1].run(500); // stalled half a second
    const decisions = clock.tick();
    expect(decisions[1].action).toBe('seek');
    expect(videos[1].currentTime).toBeCloseTo(1.0, 6);
  });
  it('nudges playbackRate for drift under one frame, faster when behind', () => {
    const { clock, time, videos } = grid([{ fps: 24, frames: 240 }, { fps: 24, frames: 240 }]);
    clock.play();
    time.advance(1000);
    videos[0].currentTime = 1.0;
    videos[1].currentTime = 1.0 - 0.5 / 24; // half a frame behind
    const decisions = clock.tick();
    expect(decisions.map((d) => d.action)).toEqual(['steady', 'nudge']);
    expect(videos[0].playbackRate).toBe(1);
    expect(videos[1].playbackRate).toBeGreaterThan(1);
    expect(videos[1].playbackRate).toBeLessThanOrEqual(1.05);
  });
  it('does not re-seek a player still settling from its last seek', () => {
    const { clock, time, videos } = grid([{ fps: 24, frames: 240 }]);
    clock.play();
    time.advance(1000);
    clock.tick(); // video never moved: seek
    expect(videos[0].seeks.length).toBeGreaterThan(0);
    const seeks = videos[0].seeks.length;
    time.advance(100);
    expect(clock.tick()[0].action).toBe('nudge');
    expect(videos[0].seeks.length).toBe(seeks);
  });
  it('holds a shorter take on its last frame while the longer one plays on', () => {
    const { clock, time, videos, frames } = grid([{ fps: 24, frames: 240 }, { fps: 24, frames: 48 }]);
    clock.play();
    time.advance(3000);
    videos.forEach((v) => v.run(3000));
    const decisions = clock.tick();
    expect(decisions[1].action).toBe('hold');
    expect(videos[1].paused).toBe(true);
    expect(frames()[1]).toBe(47);
    expect(frames()[0]).toBe(72);
  });
  it('pause lands every player on the clock frame', () => {
    const { clock, time, videos, frames } = grid([{ fps: 24, frames: 240 }, { fps: 30, frames: 300 }]);
    clock.play();
    time.advance(500);
    videos.forEach((v) => v.run(500));
    clock.tick();
    clock.pause();
    expect(clock.frame).toBe(12);
    expect(frames()).toEqual([12, 15]);
    expect(videos.every((v) => v.paused)).toBe(true);
  });
  it('loops between in and out points', () => {
    const { clock, time, videos, frames } = grid([{ fps: 24, frames: 240 }]);
    clock.setLoopIn(24);
    clock.setLoopOut(47);
    clock.play(); // outside the loop: starts at the in point
    expect(clock.frame).toBe(24);
    time.advance(1010); // past frame 47
    videos[0].run(1010);
    clock.tick();
    expect(clock.frame).toBe(24);
    expect(frames()).toEqual([24]);
    clock.clearLoopIn();
    expect(clock.loop).toEqual({ in: null, out: 47 });
    clock.clearLoopOut();
    expect(clock.loop).toEqual({ in: null, out: null });
    clock.setLoopIn(3);
    clock.clearLoop();
    expect(clock.loop).toEqual({ in: null, out: null });
  });
  it('a held take plays again once the clock wraps back into its range', () => {
    const { clock, time, videos, frames } = grid([{ fps: 24, frames: 48 }, { fps: 24, frames: 24 }]);
    clock.play();
    time.advance(1500);
    videos.forEach((v) => v.run(1500));
    expect(clock.tick()[1].action).toBe('hold');
    time.advance(600); // past frame 47: wrap to 0
    videos.forEach((v) => v.run(600));
    clock.tick();
    expect(clock.frame).toBe(0);
    expect(frames()).toEqual([0, 0]);
    expect(videos.every((v) => !v.paused)).toBe(true);
  });
  it('retries a refused play() only after the grace period', () => {
    const { clock, time, videos } = grid([{ fps: 24, frames: 240 }]);
    const refusing = videos[0];
    let attempts = 0;
    refusing.play = () => {
      attempts += 1; // stays paused, as when autoplay is refused
    };
    clock.play();
    for (let i = 0; i < 10; i++) {
      time.advance(16);
      clock.tick();
    }
    expect(attempts).toBe(1);
    time.advance(400);
    expect(clock.tick()[0].action).toBe('start');
    expect(attempts).toBe(2);
  });
  it('wraps to the start at the end of the longest take', () => {
    const { clock, time } = grid([{ fps: 24, frames: 24 }]);
    clock.play();
    time.advance(1100);
    clock.tick();
    expect(clock.frame).toBe(0);
  });
});

describe('MasterClock shuttle', () => {
  it('L doubles forward speed up to 8x and sets the native rate', () => {
    const { clock, videos } = grid([{ fps: 24, frames: 2400 }]);
    const speeds: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.shuttleForward();
      speeds.push(clock.speed);
    }
    expect(speeds).toEqual([1, 2, 4, 8, 8]);
    expect(videos[0].playbackRate).toBe(8);
  });
  it('J runs backwards by seeking, with videos paused', () => {
    const { clock, time, videos, frames } = grid([{ fps: 24, frames: 2400 }]);
    clock.seek(100);
    clock.shuttleReverse();
    expect(clock.speed).toBe(-1);
    expect(videos[0].paused).toBe(true);
    time.advance(500);
    expect(clock.tick()[0].action).toBe('seek');
    expect(clock.frame).toBe(88);
    expect(frames()).toEqual([88]);
    clock.shuttleReverse();
    clock.shuttleReverse();
    clock.shuttleReverse();
    clock.shuttleReverse();
    expect(clock.speed).toBe(-8);
  });
  it('J after L reverses at 1x; K pauses', () => {
    const { clock } = grid([{ fps: 24, frames: 2400 }]);
    clock.shuttleForward();
    clock.shuttleForward();
    clock.shuttleReverse();
    expect(clock.speed).toBe(-1);
    clock.shuttleForward();
    expect(clock.speed).toBe(1);
    clock.pause();
    expect(clock.speed).toBe(0);
  });
  it('reverse wraps from the start to the end of the loop', () => {
    const { clock, time } = grid([{ fps: 24, frames: 240 }]);
    clock.setLoopIn(10);
    clock.setLoopOut(50);
    clock.seek(12);
    clock.shuttleReverse();
    time.advance(200);
    clock.tick();
    expect(clock.frame).toBe(50);
  });
});
