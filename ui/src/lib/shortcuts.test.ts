import { describe, expect, it } from 'vitest';
import { SHORTCUTS, ShortcutDispatcher, isTypingTarget, matchShortcut, type ActionId, type KeyInput } from './shortcuts';

function key(k: string, mods: Partial<KeyInput> = {}): KeyInput {
  const code = /^[a-z]$/i.test(k) ? `Key${k.toUpperCase()}` : /^[0-9]$/.test(k) ? `Digit${k}` : k;
  return { key: k, code, shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, target: document.body, ...mods };
}

describe('matchShortcut', () => {
  const table: [KeyInput, ActionId, number?][] = [
    [key(' '), 'togglePlay'],
    [key('j'), 'shuttleReverse'],
    [key('k'), 'shuttlePause'],
    [key('l'), 'shuttleForward'],
    [key('ArrowLeft'), 'stepBack'],
    [key('ArrowRight'), 'stepForward'],
    [key('ArrowLeft', { shiftKey: true }), 'stepBack10'],
    [key('ArrowRight', { shiftKey: true }), 'stepForward10'],
    [key('Home'), 'home'],
    [key('End'), 'end'],
    [key('i'), 'loopIn'],
    [key('o'), 'loopOut'],
    [key('i', { altKey: true }), 'clearLoopIn'],
    [key('ˆ', { altKey: true, code: 'KeyI' }), 'clearLoopIn'],
    [key('o', { altKey: true }), 'clearLoopOut'],
    [key('x'), 'clearLoop'],
    [key('1'), 'solo', 1],
    [key('6'), 'solo', 6],
    [key('b'), 'abToggle'],
    [key('w'), 'wipe'],
    [key('Tab'), 'focusNext'],
    [key('Tab', { shiftKey: true }), 'focusPrev'],
    [key('a'), 'approve'],
    [key('A', { shiftKey: true }), 'approve'],
    [key('s'), 'select'],
    [key('h'), 'hold'],
    [key('r'), 'reject'],
    [key('u'), 'unreview'],
    [key('f'), 'final'],
    [key('['), 'trimIn'],
    [key(']'), 'trimOut'],
    [key('n'), 'note'],
    [key('ArrowUp'), 'prevShot'],
    [key('ArrowDown'), 'nextShot'],
    [key('ArrowUp', { altKey: true }), 'moveShotUp'],
    [key('ArrowDown', { altKey: true }), 'moveShotDown'],
    [key('q'), 'queue'],
    [key('e'), 'export'],
    [key(','), 'settings'],
    [key('?', { shiftKey: true, code: 'Slash' }), 'help'],
    [key('Escape'), 'close'],
  ];
  it.each(table)('%o → %s', (input, id, arg) => {
    expect(matchShortcut(input)).toEqual(arg === undefined ? { id } : { id, arg });
  });

  it('leaves Ctrl and Meta chords to the system', () => {
    expect(matchShortcut(key('a', { ctrlKey: true }))).toBeNull();
    expect(matchShortcut(key('e', { metaKey: true }))).toBeNull();
  });
  it('ignores keys it does not know', () => {
    expect(matchShortcut(key('7'))).toBeNull();
    expect(matchShortcut(key('z'))).toBeNull();
  });
  it('ignores every key while typing in an input or textarea', () => {
    const input = document.createElement('input');
    const area = document.createElement('textarea');
    for (const target of [input, area]) {
      expect(matchShortcut(key('a', { target }))).toBeNull();
      expect(matchShortcut(key(' ', { target }))).toBeNull();
      expect(matchShortcut(key('Escape', { target }))).toBeNull();
    }
  });
  it('still fires on buttons and checkboxes', () => {
    const button = document.createElement('button');
    const box = document.createElement('input');
    box.type = 'checkbox';
    expect(matchShortcut(key('a', { target: button }))).toEqual({ id: 'approve' });
    expect(isTypingTarget(box)).toBe(false);
  });
});

describe('the keyboard map', () => {
  it('binds no key combination to two actions', () => {
    const seen = new Map<string, ActionId>();
    for (const s of SHORTCUTS) {
      for (const k of s.keys) {
        const id = `${k.key}|${k.shift ?? '*'}|${k.alt ?? false}`;
        expect(seen.get(id), `${id} bound twice`).toBeUndefined();
        seen.set(id, s.id);
      }
    }
  });
  it('lists every action once, with a label and display keys', () => {
    const ids = SHORTCUTS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SHORTCUTS) {
      expect(s.label.length).toBeGreaterThan(0);
      expect(s.display.length).toBeGreaterThan(0);
    }
  });
});

describe('ShortcutDispatcher', () => {
  it('turns J and L into single steps while K is held', () => {
    const d = new ShortcutDispatcher();
    expect(d.keyDown(key('k'))).toEqual({ id: 'shuttlePause' });
    expect(d.keyDown(key('j'))).toEqual({ id: 'stepBack' });
    expect(d.keyDown(key('l'))).toEqual({ id: 'stepForward' });
    d.keyUp(key('k'));
    expect(d.keyDown(key('l'))).toEqual({ id: 'shuttleForward' });
  });
  it('forgets a held K on reset (window blur)', () => {
    const d = new ShortcutDispatcher();
    d.keyDown(key('k'));
    d.reset();
    expect(d.keyDown(key('j'))).toEqual({ id: 'shuttleReverse' });
  });
});
