// What a screen reader says about the demos' changing state. Two visually hidden live regions: "polite" for state
// (who was recognised, the offline cache is ready, staff mode locked) and "assertive" for problems (the camera
// stopped, a failure). They are in the page from the start: a live region added together with its text is often
// not read at all.

const HIDDEN =
  'position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap';

export type Urgency = 'polite' | 'assertive';

export class Announcer {
  private readonly regions: Record<Urgency, HTMLElement>;
  private readonly timers: Partial<Record<Urgency, ReturnType<typeof setTimeout>>> = {};
  /** The last words said in each region. */
  private readonly said: Partial<Record<Urgency, string>> = {};

  constructor(parent: HTMLElement = document.body) {
    const region = (urgency: Urgency) => {
      const element = document.createElement('div');
      element.setAttribute('aria-live', urgency);
      element.setAttribute('aria-atomic', 'true');
      // role=status / role=alert for the screen readers that go by the role rather than aria-live.
      element.setAttribute('role', urgency === 'polite' ? 'status' : 'alert');
      element.dataset.testid = `announce-${urgency}`;
      element.style.cssText = HIDDEN;
      parent.append(element);
      return element;
    };
    this.regions = { polite: region('polite'), assertive: region('assertive') };
  }

  /**
   * Reads `text` out. The region is emptied first and filled a moment later, so the same words said twice (the
   * camera stopped again) are read twice.
   */
  say(text: string, urgency: Urgency = 'polite'): void {
    const element = this.regions[urgency];
    clearTimeout(this.timers[urgency]);
    element.textContent = '';
    this.said[urgency] = text;
    this.timers[urgency] = setTimeout(() => (element.textContent = text), 100);
  }

  /** Empties the region if `text` was the last said there: words that should not stay for the next person. */
  forget(text: string, urgency: Urgency = 'polite'): void {
    if (this.said[urgency] !== text) return;
    clearTimeout(this.timers[urgency]);
    this.regions[urgency].textContent = '';
    this.said[urgency] = undefined;
  }
}

/**
 * Announces a state that changes many times a second (the kiosk's ~20 frames/s) only when it has changed and held
 * for `settleMs`: a face that flickers between two answers for a frame is not read out at each frame.
 */
export class SettledAnnouncer {
  private announcedKey: string | undefined;
  private candidate: { key: string; text: string; since: number } | undefined;

  constructor(
    private readonly announcer: Announcer,
    private readonly settleMs = 600,
  ) {}

  /** The state now: `key` says which state it is (words that change every frame, a score, are not part of it). */
  update(key: string, text: string, now = performance.now()): void {
    if (this.candidate?.key !== key) this.candidate = { key, text, since: now };
    this.candidate.text = text;
    if (key === this.announcedKey || now - this.candidate.since < this.settleMs) return;
    this.announcedKey = key;
    this.announcer.say(text);
  }

  /** Forget what was said (e.g. the camera stopped): the next state is announced even if it is the last one again. */
  reset(): void {
    this.announcedKey = undefined;
    this.candidate = undefined;
  }
}

/**
 * Focuses `element` unless the person has moved the focus elsewhere meanwhile (it is on the page itself). A focused
 * button that is disabled while its work runs, or a control that is hidden or removed, loses the focus to the page:
 * a keyboard user would otherwise have to find their place again.
 */
export function restoreFocus(element: HTMLElement): void {
  const active = document.activeElement;
  if (active === null || active === document.body || active === document.documentElement) element.focus();
}
