// The keyboard map: the one table both the key handler and the `?` overlay read.
// `ShortcutDispatcher` turns keydown/keyup events into actions, ignores keys typed into
// inputs, and resolves K+J / K+L (hold K) into single-frame steps.

/** Everything a key can do. */
export type ActionId =
  | 'togglePlay'
  | 'shuttleReverse'
  | 'shuttlePause'
  | 'shuttleForward'
  | 'stepBack'
  | 'stepForward'
  | 'stepBack10'
  | 'stepForward10'
  | 'home'
  | 'end'
  | 'loopIn'
  | 'loopOut'
  | 'clearLoopIn'
  | 'clearLoopOut'
  | 'clearLoop'
  | 'solo'
  | 'abToggle'
  | 'wipe'
  | 'focusNext'
  | 'focusPrev'
  | 'approve'
  | 'select'
  | 'hold'
  | 'reject'
  | 'unreview'
  | 'final'
  | 'trimIn'
  | 'trimOut'
  | 'note'
  | 'prevShot'
  | 'nextShot'
  | 'moveShotUp'
  | 'moveShotDown'
  | 'queue'
  | 'export'
  | 'settings'
  | 'help'
  | 'close';

/** An action with its argument (the take number for `solo`). */
export interface Action {
  id: ActionId;
  arg?: number;
}

/** One key combination. `shift` undefined = either; Alt must match; Ctrl/Meta never match. */
export interface KeySpec {
  key: string;
  shift?: boolean;
  alt?: boolean;
  arg?: number;
}

/** One row of the keyboard map. */
export interface Shortcut {
  id: ActionId;
  group: 'Transport' | 'Compare' | 'Review' | 'Navigation' | 'Panels';
  label: string;
  /** How the overlay shows the keys. */
  display: string;
  keys: KeySpec[];
}

/** The keyboard map, in overlay order. */
export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'togglePlay', group: 'Transport', label: 'Play / pause', display: 'Space', keys: [{ key: ' ' }] },
  { id: 'shuttleReverse', group: 'Transport', label: 'Shuttle reverse (again: 2× 4× 8×)', display: 'J', keys: [{ key: 'j' }] },
  { id: 'shuttlePause', group: 'Transport', label: 'Stop (hold K + J/L: step one frame)', display: 'K', keys: [{ key: 'k' }] },
  { id: 'shuttleForward', group: 'Transport', label: 'Shuttle forward (again: 2× 4× 8×)', display: 'L', keys: [{ key: 'l' }] },
  { id: 'stepBack', group: 'Transport', label: 'Back one frame', display: '←', keys: [{ key: 'ArrowLeft', shift: false }] },
  { id: 'stepForward', group: 'Transport', label: 'Forward one frame', display: '→', keys: [{ key: 'ArrowRight', shift: false }] },
  { id: 'stepBack10', group: 'Transport', label: 'Back ten frames', display: 'Shift+←', keys: [{ key: 'ArrowLeft', shift: true }] },
  { id: 'stepForward10', group: 'Transport', label: 'Forward ten frames', display: 'Shift+→', keys: [{ key: 'ArrowRight', shift: true }] },
  { id: 'home', group: 'Transport', label: 'First frame (loop in when set)', display: 'Home', keys: [{ key: 'Home' }] },
  { id: 'end', group: 'Transport', label: 'Last frame (loop out when set)', display: 'End', keys: [{ key: 'End' }] },
  { id: 'loopIn', group: 'Transport', label: 'Set loop in at current frame', display: 'I', keys: [{ key: 'i' }] },
  { id: 'loopOut', group: 'Transport', label: 'Set loop out at current frame', display: 'O', keys: [{ key: 'o' }] },
  { id: 'clearLoopIn', group: 'Transport', label: 'Clear loop in', display: 'Alt+I', keys: [{ key: 'i', alt: true }] },
  { id: 'clearLoopOut', group: 'Transport', label: 'Clear loop out', display: 'Alt+O', keys: [{ key: 'o', alt: true }] },
  { id: 'clearLoop', group: 'Transport', label: 'Clear loop', display: 'X', keys: [{ key: 'x' }] },
  {
    id: 'solo',
    group: 'Compare',
    label: 'Solo take n (again: back to the grid)',
    display: '1–6',
    keys: [1, 2, 3, 4, 5, 6].map((n) => ({ key: String(n), arg: n })),
  },
  { id: 'abToggle', group: 'Compare', label: 'A/B: show one of two takes, flip', display: 'B', keys: [{ key: 'b' }] },
  { id: 'wipe', group: 'Compare', label: 'Wipe two takes (drag the line)', display: 'W', keys: [{ key: 'w' }] },
  { id: 'focusNext', group: 'Compare', label: 'Focus next take (audio follows)', display: 'Tab', keys: [{ key: 'Tab', shift: false }] },
  { id: 'focusPrev', group: 'Compare', label: 'Focus previous take', display: 'Shift+Tab', keys: [{ key: 'Tab', shift: true }] },
  { id: 'approve', group: 'Review', label: 'Approve focused take (queues one render)', display: 'A', keys: [{ key: 'a' }] },
  { id: 'select', group: 'Review', label: 'Select (shortlist)', display: 'S', keys: [{ key: 's' }] },
  { id: 'hold', group: 'Review', label: 'Hold', display: 'H', keys: [{ key: 'h' }] },
  { id: 'reject', group: 'Review', label: 'Reject', display: 'R', keys: [{ key: 'r' }] },
  { id: 'unreview', group: 'Review', label: 'Clear status (unreviewed)', display: 'U', keys: [{ key: 'u' }] },
  { id: 'final', group: 'Review', label: 'Mark final (again: clear)', display: 'F', keys: [{ key: 'f' }] },
  { id: 'trimIn', group: 'Review', label: 'Trim in at current frame', display: '[', keys: [{ key: '[' }] },
  { id: 'trimOut', group: 'Review', label: 'Trim out at current frame', display: ']', keys: [{ key: ']' }] },
  { id: 'note', group: 'Review', label: 'Note at current frame', display: 'N', keys: [{ key: 'n' }] },
  { id: 'prevShot', group: 'Navigation', label: 'Previous shot', display: '↑', keys: [{ key: 'ArrowUp' }] },
  { id: 'nextShot', group: 'Navigation', label: 'Next shot', display: '↓', keys: [{ key: 'ArrowDown' }] },
  { id: 'moveShotUp', group: 'Navigation', label: 'Move shot up the list', display: 'Alt+↑', keys: [{ key: 'ArrowUp', alt: true }] },
  { id: 'moveShotDown', group: 'Navigation', label: 'Move shot down the list', display: 'Alt+↓', keys: [{ key: 'ArrowDown', alt: true }] },
  { id: 'queue', group: 'Panels', label: 'Render queue', display: 'Q', keys: [{ key: 'q' }] },
  { id: 'export', group: 'Panels', label: 'Export timeline', display: 'E', keys: [{ key: 'e' }] },
  { id: 'settings', group: 'Panels', label: 'Settings', display: ',', keys: [{ key: ',' }] },
  { id: 'help', group: 'Panels', label: 'This list of shortcuts', display: '?', keys: [{ key: '?' }] },
  { id: 'close', group: 'Panels', label: 'Close panel / back to the grid', display: 'Esc', keys: [{ key: 'Escape' }] },
];

/** The fields of a KeyboardEvent the map reads. */
export type KeyInput = Pick<KeyboardEvent, 'key' | 'code' | 'shiftKey' | 'altKey' | 'ctrlKey' | 'metaKey' | 'target'>;

/** True when the event target is a text field (keys there are typing, not commands). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'file', 'color'].includes(type);
  }
  return el.isContentEditable === true;
}

function keyMatches(spec: KeySpec, e: KeyInput): boolean {
  if (e.ctrlKey || e.metaKey) return false;
  if ((spec.alt ?? false) !== e.altKey) return false;
  if (spec.shift !== undefined && spec.shift !== e.shiftKey) return false;
  if (spec.key.length === 1 && /[a-z]/.test(spec.key)) {
    // Letters: either case, or by physical key when Alt changes the character (macOS).
    return e.key.toLowerCase() === spec.key || e.code === `Key${spec.key.toUpperCase()}`;
  }
  if (/^[0-9]$/.test(spec.key)) return e.key === spec.key || e.code === `Digit${spec.key}`;
  return e.key === spec.key;
}

/** The action a key press maps to, or null (no Ctrl/Meta chords, nothing while typing). */
export function matchShortcut(e: KeyInput): Action | null {
  if (isTypingTarget(e.target)) return null;
  for (const shortcut of SHORTCUTS) {
    for (const spec of shortcut.keys) {
      if (keyMatches(spec, e)) return spec.arg === undefined ? { id: shortcut.id } : { id: shortcut.id, arg: spec.arg };
    }
  }
  return null;
}

/** Stateful key handling: tracks K held so J/L step one frame instead of shuttling. */
export class ShortcutDispatcher {
  private kHeld = false;

  /** The action for a keydown, or null when the key is not ours. */
  keyDown(e: KeyInput): Action | null {
    const action = matchShortcut(e);
    if (!action) return null;
    if (action.id === 'shuttlePause') this.kHeld = true;
    if (this.kHeld && action.id === 'shuttleReverse') return { id: 'stepBack' };
    if (this.kHeld && action.id === 'shuttleForward') return { id: 'stepForward' };
    return action;
  }

  /** Releasing K ends the K+J / K+L stepping. */
  keyUp(e: Pick<KeyboardEvent, 'key' | 'code'>): void {
    if (e.key.toLowerCase() === 'k' || e.code === 'KeyK') this.kHeld = false;
  }

  /** Forget held keys (window lost focus). */
  reset(): void {
    this.kHeld = false;
  }
}
